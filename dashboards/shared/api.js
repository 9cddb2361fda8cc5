// Shared page helper: the API, with the bearer token a page was opened with (/#token=<secret>,
// kept for the tab only). Pages read only the API.

export const token = (() => {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('switchyard.token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('switchyard.token');
})();

export class ApiError extends Error {
  constructor(path, status, body) {
    super(`${path}: HTTP ${status}${body?.error?.message ? ` — ${body.error.message}` : ''}`);
    this.status = status;
  }
}

export async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ApiError(path, res.status, { error: { message: `not JSON (${err.message})` } });
    }
  }
  if (!res.ok) throw new ApiError(path, res.status, body);
  return body;
}

/** Fetches a CSV export with the token and hands it to the browser as a download. */
export async function downloadCsv(path, filename) {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(path, res.status, null);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
