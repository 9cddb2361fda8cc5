// Shared page helper: number and text formatting. Money is shown to the cent as the API gives
// it (the API rounds once); a missing value is an em dash, never 0.

const dash = '—';
export const usd = (n) => (n === null || n === undefined ? dash : `${n < 0 ? '−' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
export const usdShort = (n) => {
  if (n === null || n === undefined) return dash;
  const a = Math.abs(n);
  const s = a >= 1e9 ? `${(a / 1e9).toFixed(2)}B` : a >= 1e6 ? `${(a / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(a / 1e3).toFixed(1)}k` : a.toFixed(0);
  return `${n < 0 ? '−' : ''}$${s}`;
};
export const num = (n, d = 2) => (n === null || n === undefined ? dash : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
export const pct = (n, d = 1) => (n === null || n === undefined ? dash : `${n.toFixed(d)} %`);
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
export const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
