import { useState } from "preact/hooks";
import { currentUser } from "./auth.js";
import { age, describePath, formatTime, settingName, showValue, statusLabel } from "./format.js";

/** An API error as the API said it: status, title, detail and the stable code. */
export function Problem({ error, action }) {
  if (!error) return null;
  const problem = error.problem || {};
  const forbidden = error.status === 403;
  return (
    <div class={`problem ${forbidden ? "problem-forbidden" : ""}`} role="alert">
      <strong>{forbidden ? "Not allowed: " : ""}{problem.title || error.message}</strong>
      {problem.detail && problem.detail !== problem.title && <p>{problem.detail}</p>}
      <p class="problem-code">
        {error.status ? `HTTP ${error.status}` : ""}{problem.code ? ` · ${problem.code}` : ""}
        {action ? ` · while trying to ${action}` : ""}
      </p>
    </div>
  );
}

/** A principal key (`user:<oid>`, `app:<id>`, `system`): the API holds no names, so only "you" is named. */
export function Principal({ id }) {
  const me = currentUser();
  if (me && id === me.principal) return <span title={id}>you ({me.name})</span>;
  return <span class="muted principal">{id}</span>;
}

export function Loading({ what = "Loading" }) {
  return <p class="loading" aria-live="polite">{what}…</p>;
}

export function StatusBadge({ status }) {
  return <span class={`badge status-${status}`}>{statusLabel(status)}</span>;
}

export function Badge({ kind = "neutral", children }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

const HEALTH_KINDS = {
  healthy: "ok", unverified: "neutral", disabled: "neutral",
  permissions_missing: "warn", consent_missing: "bad", unreachable: "bad",
};

/** The tenant's last verification: its status, with what was found (missing permissions, the detail) as a tooltip. */
export function HealthBadge({ health }) {
  const status = health?.status || "unverified";
  const found = [...(health?.missingPermissions || []), health?.detail].filter(Boolean).join("; ");
  return <span class={`badge badge-${HEALTH_KINDS[status] || "neutral"}`} title={found || undefined}>{status.replace("_", " ")}</span>;
}

export function Time({ iso, relative = false }) {
  if (!iso) return <span>—</span>;
  return <time dateTime={iso} title={formatTime(iso)}>{relative ? age(iso) : formatTime(iso)}</time>;
}

/** Fixed-size: the bar and its label keep their place while the figures change. */
export function ProgressBar({ processed = 0, total = 0, active }) {
  const percent = total > 0 ? Math.min(100, Math.round((processed / total) * 100)) : active ? 0 : 100;
  return (
    <div class="progress-wrap">
      <div class="progress" role="progressbar" aria-label="Progress" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow={percent} aria-valuetext={`${processed} of ${total} processed`}>
        <div class="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-label">{processed} / {total || "?"} · {percent}%</span>
    </div>
  );
}

const COUNTERS = ["total", "processed", "succeeded", "failed", "skipped", "conflict"];

export function Counters({ counters = {} }) {
  return (
    <dl class="counters">
      {COUNTERS.map((name) => (
        <div key={name} class={`counter counter-${name}`}>
          <dt>{name}</dt>
          <dd data-counter={name}>{counters[name] ?? 0}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Pager({ paged, label = "results" }) {
  if (!paged.previous && !paged.next) return null;
  return (
    <nav class="pager" aria-label={`Pages of ${label}`}>
      <button type="button" onClick={paged.previous} disabled={!paged.previous}>← Previous</button>
      <span>Page {paged.page}</span>
      <button type="button" onClick={paged.next} disabled={!paged.next}>Next →</button>
    </nav>
  );
}

export function Tabs({ tabs, current, base }) {
  return (
    <nav class="tabs" aria-label="Sections">
      {tabs.map(([id, label]) => (
        <a key={id} href={`${base}/${id}`} class={current === id ? "tab current" : "tab"}
          aria-current={current === id ? "page" : undefined}>{label}</a>
      ))}
    </nav>
  );
}

/** A field-level diff as a table of settings: name, field, before, after. Never raw JSON. */
export function DiffView({ diff, before = "Before", after = "After" }) {
  if (!diff) return null;
  const changes = diff.changes || [];
  const summary = diff.summary || {};
  return (
    <div class="diff">
      <p class="diff-summary">
        {changes.length === 0 ? "No comparable field differs." :
          `${summary.changed || 0} changed, ${summary.added || 0} added, ${summary.removed || 0} removed`}
        {summary.notComparable ? ` · ${summary.notComparable} secret field(s) not comparable` : ""}
        {diff.truncated ? " · shortened" : ""}
      </p>
      {changes.length > 0 && (
        <table class="diff-table">
          <thead><tr><th scope="col">Setting</th><th scope="col">Field</th><th scope="col">{before}</th><th scope="col">{after}</th></tr></thead>
          <tbody>
            {changes.map((change) => <DiffRow key={`${change.op}:${change.path}`} change={change} />)}
          </tbody>
        </table>
      )}
      {(diff.notComparable || []).length > 0 && (
        <p class="muted">Not comparable (secrets are never captured): {diff.notComparable.map((n) => n.path).join(", ")}</p>
      )}
    </div>
  );
}

function DiffRow({ change }) {
  const { setting, field } = describePath(change.path);
  const named = setting ? settingName(setting) : null;
  return (
    <tr class={`diff-${change.op}`}>
      <th scope="row">
        {named ? (
          <span class="setting" title={setting}>
            <span class="setting-name">{named.name}</span>
            <span class="setting-area">{named.area}</span>
          </span>
        ) : <span class="setting-name">Policy property</span>}
      </th>
      <td><span class={`op op-${change.op}`}>{change.op}</span> <code>{field}</code></td>
      <td class="value before"><Value value={change.before} setting={setting} /></td>
      <td class="value after"><Value value={change.after} setting={setting} /></td>
    </tr>
  );
}

function Value({ value, setting }) {
  const [open, setOpen] = useState(false);
  const text = showValue(value, setting);
  if (text.length <= 80) return <span title={typeof value === "string" ? value : undefined}>{text}</span>;
  return (
    <span>
      {open ? text : `${text.slice(0, 77)}…`}{" "}
      <button type="button" class="link-button" onClick={() => setOpen(!open)}>{open ? "less" : "more"}</button>
    </span>
  );
}
