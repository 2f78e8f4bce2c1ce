import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { enc, query, tenantPath } from "../api.js";
import { Badge, Loading, Pager, Principal, Problem, Time } from "../components.jsx";
import { usePaged } from "../hooks.js";
import { navigate } from "../router.js";

/** `datetime-local` text (the browser's zone) as ISO 8601 with a zone, which the API requires. */
const toIso = (local) => (local ? new Date(local).toISOString() : "");

export function AuditTab({ tenantId, search }) {
  const [form, setForm] = useState({
    action: search.get("action") || "",
    since: search.get("since") || "",
    until: search.get("until") || "",
  });
  const applied = { action: search.get("action") || "", since: search.get("since") || "", until: search.get("until") || "" };
  const paged = usePaged(`${tenantPath(tenantId)}/audit${query({ action: applied.action, since: toIso(applied.since), until: toIso(applied.until), pageSize: 50 })}`);
  const apply = (event) => {
    event.preventDefault();
    const params = new URLSearchParams(Object.entries(form).filter(([, v]) => v));
    const text = params.toString();
    navigate(`${location.pathname}${text ? `?${text}` : ""}`, { replace: true });
  };
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  return (
    <div>
      <form class="filters" onSubmit={apply}>
        <label>Action <input value={form.action} placeholder="e.g. restore.write" onInput={field("action")} /></label>
        <label>Since <input type="datetime-local" value={form.since} onInput={field("since")} /></label>
        <label>Until <input type="datetime-local" value={form.until} onInput={field("until")} /></label>
        <button type="submit" class="secondary">Filter</button>
      </form>
      <Problem error={paged.error} action="read the audit trail" />
      {paged.loading && !paged.data ? <Loading /> : paged.data && <AuditTable tenantId={tenantId} events={paged.data.items} />}
      <Pager paged={paged} label="audit events" />
    </div>
  );
}

export function AuditTable({ tenantId, events }) {
  if (events.length === 0) return <p class="empty">No audit events match.</p>;
  return (
    <table class="audit">
      <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Run</th><th scope="col">Details</th></tr></thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id}>
            <td><Time iso={event.at} /></td>
            <td><code>{event.action}</code></td>
            <td><Badge kind={event.outcome === "succeeded" ? "ok" : event.outcome === "denied" ? "warn" : "bad"}>{event.outcome}</Badge></td>
            <td><Principal id={event.actor} /></td>
            <td>{event.runId ? <a href={`/tenants/${enc(tenantId)}/runs/${enc(event.runId)}`}>run</a> : ""}</td>
            <td><Details details={event.details} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A value shortened for the one-line summary; the full value is in the details below it. */
function brief(value) {
  if (value === null || value === undefined) return "—";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 18 ? `${text.slice(0, 16)}…` : text;
}

function Details({ details }) {
  if (!details || Object.keys(details).length === 0) return null;
  const entries = Object.entries(details);
  const short = entries.slice(0, 3).map(([key, value]) => `${key}: ${brief(value)}`).join(" · ");
  return (
    <details>
      <summary>{short}</summary>
      <dl class="kv">
        {entries.map(([key, value]) => (
          <Fragment key={key}><dt>{key}</dt><dd>{typeof value === "object" ? JSON.stringify(value) : String(value)}</dd></Fragment>
        ))}
      </dl>
    </details>
  );
}

