// Deep links: the browser's path is the page. The app's patterns are matched in order; a link is an <a href>
// whose click is turned into history.pushState, so opening it in a new tab works too.
import { useEffect, useState } from "preact/hooks";

const listeners = new Set();

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  listeners.forEach((listener) => listener());
  window.scrollTo(0, 0);
}

export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const changed = () => setTick((tick) => tick + 1);
    listeners.add(changed);
    window.addEventListener("popstate", changed);
    return () => {
      listeners.delete(changed);
      window.removeEventListener("popstate", changed);
    };
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

/** The first route whose pattern (`/tenants/:tenantId/runs/:runId`) matches `path`, with its params. */
export function match(routes, path) {
  const parts = path.replace(/\/+$/, "").split("/").slice(1);
  for (const [pattern, view] of routes) {
    const wanted = pattern.replace(/\/+$/, "").split("/").slice(1);
    if (wanted.length !== parts.length) continue;
    const params = {};
    const ok = wanted.every((segment, index) => {
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = decodeURIComponent(parts[index]);
        return parts[index] !== "";
      }
      return segment === parts[index];
    });
    if (ok) return { view, params };
  }
  return null;
}

export function onLinkClick(event) {
  const anchor = event.target.closest?.("a[href]");
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
