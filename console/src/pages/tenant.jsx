import { useEffect, useState } from "preact/hooks";
import { api, enc, query, tenantPath } from "../api.js";
import { Badge, Loading, Pager, Principal, Problem, StatusBadge, Tabs, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { RUN_STATUSES, RUN_TYPE_NAMES, can, runTypeLabel, typeLabel } from "../format.js";
import { usePaged } from "../hooks.js";
import { navigate } from "../router.js";
import { AccessTab } from "./access.jsx";
import { AuditTab } from "./audit.jsx";
import { SchedulesTab } from "./schedules.jsx";

const TABS = [["runs", "Runs"], ["backups", "Backups"], ["inventory", "Inventory"], ["schedules", "Schedules"], ["audit", "Audit"]];
/** Admins also manage the tenant's consent, verification and roles. */
const ADMIN_TABS = [...TABS, ["access", "Access"]];

export function TenantPage({ tenantId, tab = "runs", search }) {
  const { byId } = useTenants();
  const tenant = byId[tenantId];
  const role = tenant?.role;
  const base = `/tenants/${enc(tenantId)}`;
  const tabs = can(role, "admin") ? ADMIN_TABS : TABS;
  const [started, setStarted] = useState(null);
  useEffect(() => {
    document.title = `${tenant?.displayName || "Tenant"} · ${tab} · TenantAtlas`;
  }, [tenantId, tab]);

  const backUp = async () => {
    try {
      const run = await api(`${tenantPath(tenantId)}/backups`, { method: "POST" });
      navigate(`${base}/runs/${enc(run.id)}`);
    } catch (error) {
      setStarted(error);
    }
  };

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Fleet</a> › <span>{tenant?.displayName || tenantId}</span></nav>
      <div class="page-head">
        <h1>{tenant?.displayName || tenantId} {role && <Badge>{role}</Badge>}</h1>
        <div class="actions">
          {can(role, "operator") && <button type="button" class="primary" onClick={backUp}>Back up now</button>}
          {can(role, "operator") && <a class="button" href={`${base}/restore`}>Restore…</a>}
        </div>
      </div>
      {!tenant && <Problem error={{ status: 403, problem: { title: "You hold no role on this tenant.", code: "auth.forbidden" } }} />}
      {started && <Problem error={started} action="start a backup" />}
      {tenant && (
        <>
          <Tabs tabs={tabs} current={tab} base={base} />
          {tab === "runs" && <RunsTab tenantId={tenantId} search={search} />}
          {tab === "backups" && <BackupsTab tenantId={tenantId} role={role} />}
          {tab === "inventory" && <InventoryTab tenantId={tenantId} search={search} />}
          {tab === "schedules" && <SchedulesTab tenantId={tenantId} role={role} />}
          {tab === "audit" && <AuditTab tenantId={tenantId} search={search} />}
          {tab === "access" && can(role, "admin") && <AccessTab tenantId={tenantId} />}
          {!tabs.some(([id]) => id === tab) && <p>No such section.</p>}
        </>
      )}
    </section>
  );
}

/** Filters live in the address, so a filtered list can be linked to. */
function setFilter(name, value) {
  const params = new URLSearchParams(location.search);
  if (value) params.set(name, value);
  else params.delete(name);
  const text = params.toString();
  navigate(`${location.pathname}${text ? `?${text}` : ""}`, { replace: true });
}

function RunsTab({ tenantId, search }) {
  const type = search.get("type") || "";
  const status = search.get("status") || "";
  const paged = usePaged(`${tenantPath(tenantId)}/runs${query({ type, status, pageSize: 25 })}`);
  return (
    <div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Type <select value={type} onChange={(e) => setFilter("type", e.currentTarget.value)}>
          <option value="">all</option>
          {RUN_TYPE_NAMES.map((name) => <option key={name} value={name}>{runTypeLabel(name)}</option>)}
        </select></label>
        <label>Status <select value={status} onChange={(e) => setFilter("status", e.currentTarget.value)}>
          <option value="">all</option>
          {RUN_STATUSES.map((name) => <option key={name} value={name}>{name.replace("_", " ")}</option>)}
        </select></label>
      </form>
      <Problem error={paged.error} action="list runs" />
      {paged.loading && !paged.data ? <Loading /> : paged.data && (
        paged.data.items.length === 0 ? <p class="empty">No runs{type || status ? " match these filters" : " yet"}.</p> : (
          <table>
            <thead><tr><th scope="col">Created</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col" class="num">Processed</th><th scope="col">Requested by</th></tr></thead>
            <tbody>
              {paged.data.items.map((run) => (
                <tr key={run.id}>
                  <td><a href={`/tenants/${enc(tenantId)}/runs/${enc(run.id)}`}><Time iso={run.createdAt} /></a></td>
                  <td>{runTypeLabel(run.type)}</td>
                  <td><StatusBadge status={run.status} /></td>
                  <td class="num">{run.counters.processed} / {run.counters.total}</td>
                  <td><Principal id={run.requestedBy} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      <Pager paged={paged} label="runs" />
    </div>
  );
}

function BackupsTab({ tenantId, role }) {
  const paged = usePaged(`${tenantPath(tenantId)}/backups?pageSize=25`);
  const base = `/tenants/${enc(tenantId)}`;
  return (
    <div>
      <Problem error={paged.error} action="list backup sets" />
      {paged.loading && !paged.data ? <Loading /> : paged.data && (
        paged.data.items.length === 0 ? <p class="empty">No backup sets yet.</p> : (
          <table>
            <thead><tr><th scope="col">Taken</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col" class="num">Objects</th><th scope="col" class="num">Failed</th><th scope="col">Protected</th>{can(role, "operator") && <th scope="col"><span class="visually-hidden">Actions</span></th>}</tr></thead>
            <tbody>
              {paged.data.items.map((set) => (
                <tr key={set.id}>
                  <td><a href={`${base}/backups/${enc(set.id)}`}><Time iso={set.createdAt} /></a></td>
                  <td>{set.kind}</td>
                  <td><StatusBadge status={set.status} /></td>
                  <td class="num">{set.totals.succeeded}</td>
                  <td class="num">{set.totals.failed}</td>
                  <td>{set.protected ? <Badge kind="info">protected</Badge> : ""}</td>
                  {can(role, "operator") && <td><a href={`${base}/restore?backup=${enc(set.id)}`}>Restore from this</a></td>}
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      <Pager paged={paged} label="backup sets" />
    </div>
  );
}

function InventoryTab({ tenantId, search }) {
  const name = search.get("name") || "";
  const [text, setText] = useState(name);
  const paged = usePaged(`${tenantPath(tenantId)}/policies${query({ name, pageSize: 50 })}`);
  const base = `/tenants/${enc(tenantId)}`;
  return (
    <div>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); setFilter("name", text.trim()); }}>
        <label>Name starts with <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} /></label>
        <button type="submit" class="secondary">Search</button>
      </form>
      <Problem error={paged.error} action="list the inventory" />
      {paged.loading && !paged.data ? <Loading /> : paged.data && (
        paged.data.items.length === 0 ? <p class="empty">No policy {name ? `named “${name}…”` : "backed up yet"}.</p> : (
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Last changed</th><th scope="col">Last seen</th><th scope="col">In Graph</th></tr></thead>
            <tbody>
              {paged.data.items.map((policy) => (
                <tr key={`${policy.type}/${policy.id}`}>
                  <td><a href={`${base}/policies/${enc(policy.type)}/${enc(policy.id)}`}>{policy.displayName || policy.id}</a></td>
                  <td>{typeLabel(policy.type)}</td>
                  <td><Time iso={policy.lastChangedAt} /></td>
                  <td><Time iso={policy.lastSeenAt} relative /></td>
                  <td>{policy.deletedInGraph ? <Badge kind="warn">deleted</Badge> : "present"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      <Pager paged={paged} label="policies" />
    </div>
  );
}
