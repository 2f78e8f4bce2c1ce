import { useEffect, useState } from "preact/hooks";
import { api, enc, tenantPath } from "../api.js";
import { Badge, HealthBadge, Problem, StatusBadge, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { can, isActive } from "../format.js";
import { navigate } from "../router.js";

const BAD = new Set(["failed", "partially_succeeded", "cancelled"]);
const BACKUP_RUNS = new Set(["backup.tenant", "backup.scheduled"]);

/** What the fleet shows of one tenant, from its runs, latest backup sets and inventory. */
async function tenantSummary(tenantId) {
  const base = tenantPath(tenantId);
  const [runs, backups, inventory] = await Promise.all([
    api(`${base}/runs?pageSize=50`),
    api(`${base}/backups?pageSize=20`),
    api(`${base}/policies?pageSize=1000`),
  ]);
  const backupRuns = runs.items.filter((run) => BACKUP_RUNS.has(run.type) && !isActive(run.status));
  const [lastBackupRun, previousRun] = backupRuns;
  // Safety backups of restores hold only what a restore wrote: objects are counted in full backups.
  const latest = backups.items.find((set) => set.kind !== "safety");
  // A policy whose latest change was captured after the previous backup ended changed in the last one.
  const changes = previousRun?.endedAt
    ? inventory.items.filter((p) => p.lastChangedAt && p.lastChangedAt > previousRun.endedAt).length
    : null;
  const deleted = inventory.items.filter((p) => p.deletedInGraph).length;
  return {
    lastBackupRun,
    objects: latest ? latest.totals.succeeded : null,
    changes,
    deleted,
    active: runs.items.filter((run) => isActive(run.status)),
  };
}

function rank(tenant, summary) {
  if (!summary || summary.error) return 1;
  if (!summary.lastBackupRun) return 2;
  return BAD.has(summary.lastBackupRun.status) ? 0 : 3;
}

export function FleetPage() {
  const { tenants } = useTenants();
  const [summaries, setSummaries] = useState({});
  const [selected, setSelected] = useState(new Set());
  const [started, setStarted] = useState([]);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    document.title = "Fleet · TenantAtlas";
    tenants.forEach((tenant) => {
      tenantSummary(tenant.tenantId).then(
        (summary) => setSummaries((all) => ({ ...all, [tenant.tenantId]: summary })),
        (error) => setSummaries((all) => ({ ...all, [tenant.tenantId]: { error } })),
      );
    });
  }, [tenants, tick]);

  const operable = tenants.filter((t) => can(t.role, "operator"));
  const ordered = [...tenants].sort((a, b) => rank(a, summaries[a.tenantId]) - rank(b, summaries[b.tenantId])
    || a.displayName.localeCompare(b.displayName));

  const toggle = (tenantId) => {
    const next = new Set(selected);
    if (next.has(tenantId)) next.delete(tenantId);
    else next.add(tenantId);
    setSelected(next);
  };

  const [fleetError, setFleetError] = useState(null);
  const backUp = async (ids) => {
    if (ids.length > 1) {
      // One fleet run over the tenants, followed on its own page.
      try {
        const fleet = await api("/api/backups", { method: "POST", body: { tenants: ids } });
        navigate(`/fleet/runs/${enc(fleet.id)}`);
      } catch (error) {
        setFleetError(error);
      }
      return;
    }
    const results = await Promise.all(ids.map(async (tenantId) => {
      try {
        const run = await api(`${tenantPath(tenantId)}/backups`, { method: "POST" });
        return { tenantId, run };
      } catch (error) {
        return { tenantId, error };
      }
    }));
    setStarted(results);
    setSelected(new Set());
    setTick((value) => value + 1);
  };

  const name = (tenantId) => tenants.find((t) => t.tenantId === tenantId)?.displayName || tenantId;

  return (
    <section>
      <div class="page-head">
        <h1>Fleet</h1>
        {operable.length > 0 && (
          <button type="button" class="primary" disabled={selected.size === 0} onClick={() => backUp([...selected])}>
            Back up selected ({selected.size})
          </button>
        )}
      </div>
      <Problem error={fleetError} action="back up the selected tenants" />
      {started.length > 0 && (
        <div class="notice" role="status">
          <ul>
            {started.map((result) => (
              <li key={result.tenantId}>
                {result.run ? (
                  <>Backup of {name(result.tenantId)} {result.run.reused ? "already running" : "started"}: <a href={`/tenants/${enc(result.tenantId)}/runs/${enc(result.run.id)}`}>view run</a></>
                ) : <Problem error={result.error} action={`back up ${name(result.tenantId)}`} />}
              </li>
            ))}
          </ul>
        </div>
      )}
      {tenants.length === 0 ? (
        <p class="empty">You hold no role on any tenant yet. An admin of the MSP grants roles per tenant.</p>
      ) : (
        <table class="fleet">
          <caption class="visually-hidden">Tenants you hold a role on, failures first</caption>
          <thead>
            <tr>
              {operable.length > 0 && <th scope="col"><span class="visually-hidden">Select</span></th>}
              <th scope="col">Tenant</th><th scope="col">Role</th><th scope="col">Health</th>
              <th scope="col">Last backup</th><th scope="col" class="num">Objects</th>
              <th scope="col" class="num">Changes</th><th scope="col">Running</th>
            </tr>
          </thead>
          <tbody>
            {ordered.map((tenant) => (
              <FleetRow key={tenant.tenantId} tenant={tenant} summary={summaries[tenant.tenantId]}
                selectable={operable.length > 0} selected={selected.has(tenant.tenantId)} onToggle={toggle} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FleetRow({ tenant, summary, selectable, selected, onToggle }) {
  const href = `/tenants/${enc(tenant.tenantId)}`;
  const mayBackUp = can(tenant.role, "operator");
  const last = summary?.lastBackupRun;
  return (
    <tr class={last && BAD.has(last.status) ? "row-bad" : ""} data-tenant={tenant.tenantId}>
      {selectable && (
        <td>
          {mayBackUp && <input type="checkbox" checked={selected} onChange={() => onToggle(tenant.tenantId)}
            aria-label={`Select ${tenant.displayName}`} />}
        </td>
      )}
      <th scope="row"><a href={href}>{tenant.displayName}</a>{tenant.status !== "active" && <> <Badge kind="warn">{tenant.status}</Badge></>}</th>
      <td><Badge>{tenant.role || "platform admin"}</Badge></td>
      <td><HealthBadge health={tenant.health} /></td>
      <td>
        {!summary ? <span class="muted">…</span> : summary.error ? <span class="bad">could not load ({summary.error.status})</span> :
          last ? <><StatusBadge status={last.status} /> <a href={`${href}/runs/${enc(last.id)}`}><Time iso={last.endedAt || last.createdAt} relative /></a></> :
          <span class="muted">never</span>}
      </td>
      <td class="num">{summary?.objects ?? "—"}</td>
      <td class="num" title={summary?.deleted ? `${summary.deleted} deleted in Graph` : undefined}>
        {summary?.changes ?? "—"}{summary?.deleted ? ` (+${summary.deleted} deleted)` : ""}
      </td>
      <td>
        {!summary ? <span class="muted">…</span> : summary.active?.length ? summary.active.map((run) => (
          <a key={run.id} class="chip" href={`${href}/runs/${enc(run.id)}`}>{run.type.split(".")[0]} {run.status}</a>
        )) : <span class="muted">none</span>}
      </td>
    </tr>
  );
}
