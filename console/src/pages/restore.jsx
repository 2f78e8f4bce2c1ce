import { useEffect, useMemo, useState } from "preact/hooks";
import { api, enc, query, tenantPath } from "../api.js";
import { Badge, DiffView, Loading, Problem, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { can, isActive, shortId, typeLabel } from "../format.js";
import { useApi, useRunStatus } from "../hooks.js";
import { navigate } from "../router.js";
import { AuditTable } from "./audit.jsx";
import { RunSummary } from "./run.jsx";

const STEPS = ["Source", "Preview", "Review and select", "Confirm", "Live run", "Audit trail"];
const SELECTABLE = new Set(["create", "update", "conflict"]);

/** Restore in steps; where it stands lives in the address (`?preview=`, `?live=`), so a reload or a link
 * lands on the same step. Operators preview; only admins see the live step's button. */
export function RestoreWizard({ tenantId, search }) {
  const { byId } = useTenants();
  const tenant = byId[tenantId];
  const previewId = search.get("preview");
  const liveId = search.get("live");
  useEffect(() => { document.title = `Restore · ${tenant?.displayName || ""} · TenantAtlas`; }, []);
  const base = `/tenants/${enc(tenantId)}`;
  return (
    <section class="wizard">
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Fleet</a> › <a href={base}>{tenant?.displayName || tenantId}</a> › <span>Restore</span></nav>
      <h1>Restore into {tenant?.displayName || tenantId}</h1>
      {liveId ? <LiveStep tenantId={tenantId} liveId={liveId} />
        : previewId ? <PreviewStep tenantId={tenantId} tenant={tenant} previewId={previewId} />
        : <SourceStep tenantId={tenantId} tenant={tenant} search={search} />}
    </section>
  );
}

function Stepper({ current }) {
  return (
    <ol class="stepper" aria-label="Restore steps">
      {STEPS.map((label, index) => (
        <li key={label} class={index < current ? "done" : index === current ? "current" : ""} aria-current={index === current ? "step" : undefined}>
          <span class="step-number">{index + 1}</span> {label}
        </li>
      ))}
    </ol>
  );
}

function SourceStep({ tenantId, tenant, search }) {
  const { tenants } = useTenants();
  const versions = (search.get("versions") || "").split(",").filter(Boolean).map((text) => {
    const [type, policyId, versionId] = text.split("|");
    return { type, policyId, versionId };
  });
  const [sourceTenant, setSourceTenant] = useState(search.get("from") || tenantId);
  const [backupId, setBackupId] = useState(search.get("backup") || "");
  const backups = useApi(versions.length ? null : `${tenantPath(sourceTenant)}/backups?pageSize=50`);
  const chosen = backups.data?.items.find((b) => b.id === backupId) || null;
  const types = chosen ? Object.entries(chosen.countsByType).filter(([, c]) => c.succeeded > 0).map(([t]) => t) : [];
  const [excluded, setExcluded] = useState(new Set());
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!backupId && backups.data?.items.length) setBackupId(backups.data.items[0].id);
  }, [backups.data]);
  const mayPreview = can(tenant?.role, "operator");

  const preview = async () => {
    setBusy(true);
    setError(null);
    const source = versions.length ? { versions } : { backupId };
    if (sourceTenant !== tenantId) source.tenantId = sourceTenant;
    const body = { mode: "preview", source };
    const kept = types.filter((t) => !excluded.has(t));
    if (!versions.length && excluded.size > 0) body.types = kept;
    try {
      const run = await api(`${tenantPath(tenantId)}/restores`, { method: "POST", body });
      navigate(`/tenants/${enc(tenantId)}/restore?preview=${enc(run.id)}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <>
      <Stepper current={0} />
      {!mayPreview && tenant && (
        <p class="notice" role="note">Restoring needs the operator role on this tenant (admin to run it live){tenant ? `; you are ${tenant.role}` : ""}. You can look at the sources, not start a restore.</p>
      )}
      <Problem error={backups.error} action="list the backup sets to restore from" />
      <Problem error={error} action="start the preview" />
      {backups.error ? null : versions.length > 0 ? (
        <div class="card">
          <h2>Source: {versions.length} policy version(s)</h2>
          <ul class="plain">{versions.map((v) => <li key={v.versionId}>{typeLabel(v.type)} <code>{v.policyId}</code> version <code>{shortId(v.versionId)}</code></li>)}</ul>
        </div>
      ) : (
        <div class="card source">
          <h2>Source</h2>
          <label>Tenant to restore from
            <select value={sourceTenant} onChange={(e) => { setSourceTenant(e.currentTarget.value); setBackupId(""); }}>
              {tenants.map((t) => <option key={t.tenantId} value={t.tenantId}>{t.displayName}{t.tenantId === tenantId ? " (this tenant)" : ""}</option>)}
            </select>
          </label>
          {backups.loading && !backups.data ? <Loading what="Loading backup sets" /> : backups.data && (
            backups.data.items.length === 0 ? <p class="empty">That tenant has no backup set yet.</p> : (
              <label>Backup set
                <select value={backupId} onChange={(e) => { setBackupId(e.currentTarget.value); setExcluded(new Set()); }}>
                  {backups.data.items.map((b) => <option key={b.id} value={b.id}>{new Date(b.createdAt).toLocaleString()} · {b.kind} · {b.totals.succeeded} objects</option>)}
                </select>
              </label>
            )
          )}
          {types.length > 0 && (
            <fieldset>
              <legend>Types to restore</legend>
              <div class="type-grid">
                {types.map((type) => (
                  <label key={type} class="check">
                    <input type="checkbox" checked={!excluded.has(type)} onChange={() => {
                      const next = new Set(excluded);
                      if (next.has(type)) next.delete(type); else next.add(type);
                      setExcluded(next);
                    }} /> {typeLabel(type)} <span class="muted">({chosen.countsByType[type].succeeded})</span>
                  </label>
                ))}
              </div>
            </fieldset>
          )}
        </div>
      )}
      {mayPreview && !backups.error && (
        <div class="wizard-actions">
          <button type="button" class="primary" disabled={busy || (!versions.length && !backupId) || (types.length > 0 && excluded.size === types.length)} onClick={preview}>
            Preview the restore
          </button>
          <span class="muted">Read-only: nothing is written to {tenant?.displayName || "the tenant"}.</span>
        </div>
      )}
    </>
  );
}

function PreviewStep({ tenantId, tenant, previewId }) {
  const { run, error } = useRunStatus(tenantId, previewId);
  const ended = run && !isActive(run.status);
  return (
    <>
      <Stepper current={ended ? 2 : 1} />
      <Problem error={error} action="follow the preview" />
      {!run && !error && <Loading what="Loading the preview" />}
      {run && (
        <div class="card">
          <h2>Preview <a href={`/tenants/${enc(tenantId)}/runs/${enc(previewId)}`} class="small">run {shortId(previewId)}</a></h2>
          <RunSummary run={run} />
        </div>
      )}
      {ended && run.type !== "restore.preview" && <p class="problem" role="alert">This run is not a restore preview.</p>}
      {ended && run.type === "restore.preview" && run.status !== "failed" && run.status !== "cancelled" && (
        <Review tenantId={tenantId} tenant={tenant} preview={run} />
      )}
    </>
  );
}

function Review({ tenantId, tenant, preview }) {
  const items = useApi(`${tenantPath(tenantId)}/runs/${enc(preview.id)}/items?pageSize=1000`);
  const all = items.data?.items || [];
  const [selected, setSelected] = useState(null);
  const [action, setAction] = useState("");
  const [typed, setTyped] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (items.data && selected === null) {
      setSelected(new Set(all.filter((i) => i.action === "create" || i.action === "update").map((i) => i.itemId)));
    }
  }, [items.data]);
  const counts = useMemo(() => all.reduce((c, i) => ({ ...c, [i.action]: (c[i.action] || 0) + 1 }), {}), [all]);
  const chosen = all.filter((i) => selected?.has(i.itemId));
  const conflicts = chosen.filter((i) => i.action === "conflict").length;
  const admin = can(tenant?.role, "admin");
  const name = tenant?.displayName || "";
  const confirmed = typed.trim() === name && name !== "";

  const toggle = (itemId) => {
    const next = new Set(selected);
    if (next.has(itemId)) next.delete(itemId); else next.add(itemId);
    setSelected(next);
  };
  const goLive = async () => {
    setBusy(true);
    setError(null);
    const selectable = all.filter((i) => SELECTABLE.has(i.action));
    const body = { mode: "live", previewRunId: preview.id, confirm: true };
    if (chosen.length !== selectable.length) body.items = chosen.map((i) => i.itemId);
    if (conflicts) body.overrideConflicts = true;
    try {
      const run = await api(`${tenantPath(tenantId)}/restores`, { method: "POST", body });
      navigate(`/tenants/${enc(tenantId)}/restore?preview=${enc(preview.id)}&live=${enc(run.id)}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  const shown = action ? all.filter((i) => i.action === action) : all;
  return (
    <>
      <div class="card">
        <div class="section-head">
          <h2>Review and select</h2>
          <label>Action <select value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">all ({all.length})</option>
            {Object.entries(counts).map(([name, count]) => <option key={name} value={name}>{name} ({count})</option>)}
          </select></label>
        </div>
        <Problem error={items.error} action="list the preview's items" />
        {items.loading && !items.data ? <Loading /> : (
          <table class="review">
            <thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">Item</th><th scope="col">Type</th><th scope="col">Action</th><th scope="col">What happens</th></tr></thead>
            <tbody>{shown.map((item) => <ReviewRow key={item.itemId} item={item} checked={selected?.has(item.itemId)} onToggle={toggle} />)}</tbody>
          </table>
        )}
      </div>
      <div class="card confirm">
        <h2>Confirm</h2>
        <p><strong>{chosen.length}</strong> item(s) selected: {["create", "update", "conflict"].map((a) => `${chosen.filter((i) => i.action === a).length} ${a}`).join(", ")}.
          A safety backup of {name} is taken first.{conflicts ? " Conflicts will be overwritten." : ""}</p>
        {!admin ? (
          <p class="notice" role="note">A live restore needs the admin role on {name}; you are {tenant?.role}. An admin can open this preview: <code>{location.pathname}{location.search}</code></p>
        ) : (
          <>
            <label for="confirm-name" class="confirm-label">Type the tenant name <strong>{name}</strong> to restore live</label>
            <div class="row">
              <input id="confirm-name" value={typed} autoComplete="off" onInput={(e) => setTyped(e.currentTarget.value)}
                aria-describedby="confirm-help" />
              <button type="button" class="danger" disabled={!confirmed || busy || chosen.length === 0} onClick={goLive}>Restore live</button>
            </div>
            <p id="confirm-help" class="muted">{confirmed ? "Ready: this writes to the tenant." : "The button stays off until the name matches exactly."}</p>
          </>
        )}
        <Problem error={error} action="start the live restore" />
      </div>
    </>
  );
}

function ReviewRow({ item, checked, onToggle }) {
  const [open, setOpen] = useState(false);
  const selectable = SELECTABLE.has(item.action);
  const notes = item.details?.notes || [];
  const diff = item.details?.diff;
  const label = item.displayName || item.policyId;
  return (
    <>
      <tr class={`action-${item.action}`}>
        <td>{selectable && <input type="checkbox" checked={checked} onChange={() => onToggle(item.itemId)} aria-label={`Restore ${label}`} />}</td>
        <th scope="row">{label}</th>
        <td>{typeLabel(item.type)}</td>
        <td><Badge kind={item.action === "conflict" ? "warn" : item.action === "update" || item.action === "create" ? "info" : "neutral"}>{item.action}</Badge></td>
        <td>
          {item.action === "update" && diff ? `${diff.summary?.changed || 0} changed, ${diff.summary?.added || 0} added, ${diff.summary?.removed || 0} removed` :
            item.action === "create" ? "created in the tenant" : item.reason || (item.action === "unchanged" ? "already equal" : "")}
          {notes.length > 0 && <span class="muted"> · {notes.length} note(s)</span>}
          {(diff || notes.length > 0 || item.reason) && (
            <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? "Hide" : "Show diff"}</button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="item-details"><td colSpan={5}>
          {item.reason && <p>{item.reason}</p>}
          {notes.length > 0 && <ul class="notes">{notes.map((note) => <li key={note}>{note}</li>)}</ul>}
          <DiffView diff={diff} before="In the tenant now" after="After the restore" />
        </td></tr>
      )}
    </>
  );
}

function LiveStep({ tenantId, liveId }) {
  const { run, error } = useRunStatus(tenantId, liveId);
  const ended = run && !isActive(run.status);
  return (
    <>
      <Stepper current={ended ? 5 : 4} />
      <Problem error={error} action="follow the live restore" />
      {!run && !error && <Loading what="Loading the live restore" />}
      {run && (
        <div class="card">
          <h2>Live restore <a class="small" href={`/tenants/${enc(tenantId)}/runs/${enc(liveId)}`}>open the run page</a></h2>
          <RunSummary run={run} />
          {run.summary?.safetyBackupId && (
            <p>Safety backup taken first: <a href={`/tenants/${enc(tenantId)}/backups/${enc(run.summary.safetyBackupId)}`}>{shortId(run.summary.safetyBackupId)}</a></p>
          )}
        </div>
      )}
      {ended && <RunAudit tenantId={tenantId} run={run} />}
    </>
  );
}

function RunAudit({ tenantId, run }) {
  const since = new Date(new Date(run.createdAt).getTime() - 60_000).toISOString();
  const trail = useApi(`${tenantPath(tenantId)}/audit${query({ since, pageSize: 500 })}`);
  const events = (trail.data?.items || []).filter((event) => event.runId === run.id);
  return (
    <div class="card">
      <h2>Audit trail of this restore</h2>
      <p class="muted">Every write with the hash before and after, the request and the end of the run. Finished <Time iso={run.endedAt} />.</p>
      <Problem error={trail.error} action="read the audit trail" />
      {trail.loading && !trail.data ? <Loading /> : <AuditTable tenantId={tenantId} events={events} />}
    </div>
  );
}
