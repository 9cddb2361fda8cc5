import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiPages, type ApiRow, type ApiShape } from './ercot-api-json.ts';

/**
 * A loopback stand-in for the ERCOT public API that serves recorded prices: the B2C token
 * endpoint (checks the password grant) and one report, filtered by deliveryDateFrom/To and
 * settlementPoint as ERCOT does, paged by page/size. Requests are counted for assertions.
 */

export interface ErcotApiServer {
  apiUrl: string;
  tokenUrl: string;
  requests: { token: number; report: number; rejected: number };
  close(): Promise<void>;
}

export async function ercotApiServer(o: { shape: ApiShape; rows: readonly ApiRow[]; subscriptionKey: string; username: string; password: string }): Promise<ErcotApiServer> {
  const path = o.shape === 'np4-190-cd' ? '/api/public-reports/np4-190-cd/dam_stlmnt_pnt_prices' : '/api/public-reports/np6-905-cd/spp_node_zone_hub';
  const pointAt = o.shape === 'np4-190-cd' ? 2 : 3;
  const requests = { token: 0, report: 0, rejected: 0 };
  const token = 'uri-replay-token';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        requests.token++;
        if (form.get('grant_type') !== 'password' || form.get('username') !== o.username || form.get('password') !== o.password) {
          requests.rejected++;
          send(400, { error: 'invalid_grant' });
        } else send(200, { id_token: token, token_type: 'Bearer', expires_in: '3600' });
      });
      return;
    }
    if (url.pathname !== path) return send(404, { statusCode: 404, message: 'Resource not found' });
    if (req.headers.authorization !== `Bearer ${token}` || req.headers['ocp-apim-subscription-key'] !== o.subscriptionKey) {
      requests.rejected++;
      return send(401, { statusCode: 401, message: 'Access denied' });
    }
    requests.report++;
    const q = url.searchParams;
    const from = q.get('deliveryDateFrom') ?? '0000-00-00';
    const to = q.get('deliveryDateTo') ?? '9999-99-99';
    const point = q.get('settlementPoint');
    const rows = o.rows.filter((r) => (r[0] as string) >= from && (r[0] as string) <= to && (point === null || r[pointAt] === point));
    const size = Number(q.get('size') ?? 1000);
    const page = Number(q.get('page') ?? 1);
    send(200, apiPages(o.shape, rows, size)[page - 1] ?? { _meta: { totalPages: 1, currentPage: page }, fields: [], data: [] });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/public-reports`,
    tokenUrl: `${base}/token`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
