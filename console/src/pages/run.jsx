import { useEffect, useState } from "preact/hooks";
import { api, enc, query, tenantPath } from "../api.js";
import { Badge, Counters, DiffView, Loading, Pager, Principal, Problem, ProgressBar, StatusBadge, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { can, duration, isActive, runTypeLabel, shortId, typeLabel } from "../format.js";
import { currentUser } from "../auth.js";
import { usePaged, useRunStatus } from "../hooks.js";
import { navigate } from "../router.js";

const OUTCOMES = ["succeeded", "failed", "skipped", "conflict"];

export function RunPage({ tenantId, runId, search }) {
  const { byId } = useTenants();
  const tenant = byId[tenantId];
  const [refresh, setRefresh] = useState(0);
  const { run, error } = useRunStatus(tenantId, runId, refresh);
  useEffect(() => {
    document.title = `${run ? runTypeLabel(run.type) : "Run"} · ${tenant?.displayName || ""} · TenantAtlas`;
  }, [run?.type]);
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Fleet</a> › <a href={`/tenants/${enc(tenantId)}`}>{tenant?.displayName || tenantId}</a> › <span>Run {shortId(runId)}</span>
      </nav>
      <Problem error={error} action="read this run" />
      {!run && !error && <Loading what="Loading the run" />}
      {run && <RunDetail tenantId={tenantId} run={run} role={tenant?.role} search={search} onChanged={() => setRefresh(refresh + 1)} />}
    </section>
  );
}

export function RunSummary({ run }) {
  const active = isActive(run.status);
  return (
    <div class="run-summary" aria-live="polite">
      <div class="run-status-line"><StatusBadge status={run.status} /> <span class="muted">{active ? "updating live" : `took ${duration(run.startedAt || run.createdAt, run.endedAt)}`}</span></div>
      <ProgressBar processed={run.counters.processed} total={run.counters.total} active={active} />
      <Counters counters={run.counters} />
      {run.error && <p class="problem" role="alert">{run.error}</p>}
    </div>
  );
}

/** Cancel is offered where the API allows it: admins cancel any active run, operators their own. */
function mayCancel(run, role) {
  return isActive(run.status) && (can(role, "admin") || (can(role, "operator") && run.requestedBy === currentUser()?.principal));
}

function RunDetail({ tenantId, run, role, search, onChanged }) {
  const base = `/tenants/${enc(tenantId)}`;
  const [retryError, setRetryError] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const ended = !isActive(run.status);
  const cancel = async () => {
    if (!confirm(`Cancel this ${runTypeLabel(run.type).toLowerCase()}? What is done stays done.`)) return;
    try {
      await api(`${tenantPath(tenantId)}/runs/${enc(run.id)}/cancel`, { method: "POST" });
      onChanged();
    } catch (error) {
      setCancelError(error);
    }
  };
  const retry = async () => {
    try {
      const next = await api(`${tenantPath(tenantId)}/runs/${enc(run.id)}/retry`, { method: "POST", body: { confirm: true } });
      navigate(`${base}/runs/${enc(next.id)}`);
    } catch (error) {
      setRetryError(error);
    }
  };
  const summary = run.summary || {};
  const source = run.source || {};
  return (
    <>
      <div class="page-head">
        <h1>{runTypeLabel(run.type)}</h1>
        <div class="actions">
          {mayCancel(run, role) && <button type="button" class="danger" onClick={cancel}>Cancel run</button>}
          {run.type === "restore.preview" && ended && can(role, "operator") && (
            <a class="button" href={`${base}/restore?preview=${enc(run.id)}`}>Review in restore wizard</a>
          )}
          {run.type === "restore.live" && ended && run.counters.failed > 0 && can(role, "admin") && (
            <button type="button" class="primary" onClick={retry}>Retry failed items ({run.counters.failed})</button>
          )}
        </div>
      </div>
      <Problem error={retryError} action="retry the failed items" />
      <Problem error={cancelError} action="cancel the run" />
      <RunSummary run={run} />
      <dl class="meta">
        <dt>Run</dt><dd><code>{run.id}</code></dd>
        <dt>Requested by</dt><dd><Principal id={run.requestedBy} /></dd>
        <dt>Created</dt><dd><Time iso={run.createdAt} /></dd>
        <dt>Started</dt><dd><Time iso={run.startedAt} /></dd>
        <dt>Ended</dt><dd><Time iso={run.endedAt} /></dd>
        {source.backupId && <><dt>Source backup</dt><dd><a href={`/tenants/${enc(source.tenantId || tenantId)}/backups/${enc(source.backupId)}`}>{shortId(source.backupId)}</a>{source.tenantId && source.tenantId !== tenantId ? " (another tenant)" : ""}</dd></>}
        {source.versions && <><dt>Source versions</dt><dd>{source.versions.length} version(s)</dd></>}
        {summary.previewRunId && <><dt>Preview</dt><dd><a href={`${base}/runs/${enc(summary.previewRunId)}`}>{shortId(summary.previewRunId)}</a></dd></>}
        {summary.safetyBackupId && <><dt>Safety backup</dt><dd><a href={`${base}/backups/${enc(summary.safetyBackupId)}`}>{shortId(summary.safetyBackupId)}</a></dd></>}
        {run.type.startsWith("backup.") && run.type !== "backup.retention" && (
          <><dt>Backup set</dt><dd>{ended ? <a href={`${base}/backups/${enc(run.id)}`}>{shortId(run.id)}</a> : <span class="muted">when the run ends</span>}</dd></>
        )}
      </dl>
      <RunItems tenantId={tenantId} run={run} search={search} />
    </>
  );
}

/** While the run is active its items are not listed unless asked for: items land in item-ID order, so a
 * list refreshed under the reader would push rows down. They are listed as soon as the run ends. */
function RunItems({ tenantId, run, search }) {
  const active = isActive(run.status);
  const [asked, setAsked] = useState(0);
  if (active && !asked) {
    return (
      <div class="items">
        <h2>Items</h2>
        <p class="empty">Listed when the run ends ({run.counters.processed} of {run.counters.total || "?"} done so far).{" "}
          <button type="button" class="link-button" onClick={() => setAsked(1)}>Show the items done so far</button></p>
      </div>
    );
  }
  return <ItemList tenantId={tenantId} run={run} search={search} refresh={active ? asked : `ended-${run.status}`} onRefresh={active ? () => setAsked(asked + 1) : null} />;
}

function ItemList({ tenantId, run, search, refresh, onRefresh }) {
  const outcome = search.get("outcome") || "";
  const [filter, setFilter] = useState(outcome);
  const paged = usePaged(`${tenantPath(tenantId)}/runs/${enc(run.id)}/items${query({ outcome: filter, pageSize: 100 })}`);
  useEffect(() => {
    if (paged.data) paged.reload();
  }, [refresh]);
  const restore = run.type.startsWith("restore.");
  return (
    <div class="items">
      <div class="section-head">
        <h2>Items</h2>
        {onRefresh && <button type="button" class="secondary" onClick={onRefresh}>Refresh the items</button>}
        <label>Outcome <select value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
          <option value="">all</option>
          {OUTCOMES.map((name) => <option key={name} value={name}>{name}</option>)}
        </select></label>
      </div>
      <Problem error={paged.error} action="list the run's items" />
      {paged.loading && !paged.data ? <Loading /> : paged.data && (
        paged.data.items.length === 0 ? <p class="empty">{isActive(run.status) ? "No item has finished yet." : "No items."}</p> : (
          <table class="items-table">
            <thead><tr><th scope="col">Item</th><th scope="col">Type</th>{restore && <th scope="col">Action</th>}<th scope="col">Outcome</th><th scope="col">Reason or error</th></tr></thead>
            <tbody>{paged.data.items.map((item) => <ItemRow key={item.itemId} tenantId={tenantId} item={item} restore={restore} />)}</tbody>
          </table>
        )
      )}
      <Pager paged={paged} label="items" />
    </div>
  );
}

function ItemRow({ tenantId, item, restore }) {
  const [open, setOpen] = useState(false);
  const diff = item.details?.diff;
  const notes = item.details?.notes || [];
  const policyHref = item.policyId && !item.policyId.includes("*")
    ? `/tenants/${enc(tenantId)}/policies/${enc(item.type)}/${enc(item.policyId)}` : null;
  return (
    <>
      <tr class={`outcome-${item.outcome}`}>
        <td>{policyHref ? <a href={policyHref}>{item.displayName || item.policyId}</a> : (item.displayName || item.itemId)}</td>
        <td>{typeLabel(item.type)}</td>
        {restore && <td>{item.action ? <Badge kind="info">{item.action}</Badge> : "—"}</td>}
        <td><Badge kind={item.outcome === "succeeded" ? "ok" : item.outcome === "skipped" ? "neutral" : "bad"}>{item.outcome}</Badge></td>
        <td>
          {item.error ? <span class="bad">{item.error}</span> : item.reason || ""}
          {(diff || notes.length > 0) && (
            <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? "Hide details" : "Details"}</button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="item-details"><td colSpan={restore ? 5 : 4}>
          {notes.length > 0 && <ul class="notes">{notes.map((note) => <li key={note}>{note}</li>)}</ul>}
          <DiffView diff={diff} before="In the tenant" after="From the source" />
        </td></tr>
      )}
    </>
  );
}
