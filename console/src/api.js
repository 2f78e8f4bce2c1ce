// The console's one way to the API: the same routes and JSON as any client, problem+json errors kept whole.
import { accessToken } from "./auth.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The API answered ${status}.`);
    this.status = status;
    this.problem = problem || {};
  }
}

let onUnauthenticated = () => {};
export const whenUnauthenticated = (handler) => {
  onUnauthenticated = handler;
};

/** Calls the API; the parsed JSON body, or throws ApiError. `full: true` answers {status, headers, body}. */
export async function api(path, { method = "GET", body, headers = {}, full = false } = {}) {
  const token = await accessToken();
  if (!token) {
    onUnauthenticated();
    throw new ApiError(401, { title: "Sign in to continue.", code: "auth.missing_token", status: 401 });
  }
  const answer = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (answer.status === 401) onUnauthenticated();
  if (!answer.ok && !(full && answer.status === 202)) throw new ApiError(answer.status, parsed);
  return full ? { status: answer.status, headers: answer.headers, body: parsed } : parsed;
}

export const enc = encodeURIComponent;
export const tenantPath = (tenantId) => `/api/tenants/${enc(tenantId)}`;

export function query(params) {
  const entries = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}
