// Shared page helper: ApexCharts (loaded by the page as /vendor/apexcharts.min.js) with the
// house defaults; one chart per element id, updated in place on refresh.

const charts = new Map();

export const COLORS = ['#2b7bb9', '#e07b39', '#3aa76d', '#8e5ea2', '#c9b037', '#d9534f', '#5bc0de', '#777777'];

export function baseOptions(type, height) {
  return {
    chart: { type, height, background: 'transparent', toolbar: { show: false }, animations: { enabled: false }, fontFamily: 'inherit' },
    colors: COLORS,
    dataLabels: { enabled: false },
    legend: { position: 'top' },
    grid: { borderColor: '#e5e5e5' },
    tooltip: { theme: 'light' },
  };
}

/** Draws or updates the chart in element `id`. */
export function draw(id, options) {
  const el = document.getElementById(id);
  const existing = charts.get(id);
  if (existing) {
    existing.updateOptions(options, true, false);
    return existing;
  }
  // eslint-disable-next-line no-undef
  const chart = new ApexCharts(el, options);
  chart.render();
  charts.set(id, chart);
  return chart;
}
