import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";

/** GET `path` (null: nothing yet); `reload()` fetches again without clearing what is shown. */
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: Boolean(path) });
  const generation = useRef(0);
  const load = useCallback(() => {
    if (!path) return;
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    api(path).then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error) => mine === generation.current && setState({ data: null, error, loading: false }),
    );
  }, [path]);
  useEffect(() => {
    setState({ data: null, error: null, loading: Boolean(path) });
    load();
  }, [load]);
  return { ...state, reload: load };
}

/** A list route paged by continuation token: `next()` and `previous()` walk the pages. */
export function usePaged(basePath) {
  const [tokens, setTokens] = useState([null]);
  useEffect(() => setTokens([null]), [basePath]);
  const token = tokens[tokens.length - 1];
  const separator = basePath && basePath.includes("?") ? "&" : "?";
  const path = basePath && (token ? `${basePath}${separator}continuationToken=${encodeURIComponent(token)}` : basePath);
  const result = useApi(path);
  return {
    ...result,
    page: tokens.length,
    next: result.data?.continuationToken ? () => setTokens([...tokens, result.data.continuationToken]) : null,
    previous: tokens.length > 1 ? () => setTokens(tokens.slice(0, -1)) : null,
  };
}

/** GETs `url` (the full answer: status, headers, body) and again after `nextWait(answer)` seconds, until
 * that answers null or the component goes; a new `url` or `refresh` starts over (a zero `refresh` also
 * clears what was shown). */
export function usePolled(url, nextWait, refresh = 0) {
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [polls, setPolls] = useState(0);
  useEffect(() => {
    if (!url) return undefined;
    let stopped = false;
    let timer = null;
    if (!refresh) setAnswer(null);
    setError(null);
    const poll = async () => {
      try {
        const got = await api(url, { full: true });
        if (stopped) return;
        setAnswer(got);
        setError(null);
        setPolls((count) => count + 1);
        const wait = nextWait(got);
        if (wait !== null) timer = setTimeout(poll, wait * 1000);
      } catch (failure) {
        if (!stopped) setError(failure);
      }
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [url, refresh]);
  return { answer, error, polls };
}

/** Follows a run through its status URL, waiting the Retry-After it answers between polls. */
export function useRunStatus(tenantId, runId, refresh = 0) {
  const url =
    tenantId && runId ? `/api/tenants/${encodeURIComponent(tenantId)}/runs/${encodeURIComponent(runId)}/status` : null;
  const { answer, error, polls } = usePolled(url, retryAfter, refresh);
  return { run: answer?.body ?? null, error, polls };
}

function retryAfter(answer) {
  return answer.status === 202 ? Number(answer.headers.get("Retry-After")) || 5 : null;
}
