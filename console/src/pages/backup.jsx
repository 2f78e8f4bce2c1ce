import { useEffect } from "preact/hooks";
import { enc, tenantPath } from "../api.js";
import { Badge, Loading, Problem, StatusBadge, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { can, shortId, typeLabel } from "../format.js";
import { useApi } from "../hooks.js";

/** One backup set: counts per type and every policy it holds, each linked to its versions. */
export function BackupPage({ tenantId, backupId }) {
  const { byId } = useTenants();
  const tenant = byId[tenantId];
  const backup = useApi(`${tenantPath(tenantId)}/backups/${enc(backupId)}?includeItems=true`);
  const base = `/tenants/${enc(tenantId)}`;
  useEffect(() => { document.title = `Backup set · ${tenant?.displayName || ""} · TenantAtlas`; }, []);
  const set = backup.data;
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Fleet</a> › <a href={`${base}/backups`}>{tenant?.displayName || tenantId}</a> › <span>Backup {shortId(backupId)}</span></nav>
      <Problem error={backup.error} action="read this backup set" />
      {!set && !backup.error && <Loading />}
      {set && (
        <>
          <div class="page-head">
            <h1>Backup set <StatusBadge status={set.status} /> {set.protected && <Badge kind="info">protected</Badge>}</h1>
            <div class="actions">
              {can(tenant?.role, "operator") && <a class="button" href={`${base}/restore?backup=${enc(set.id)}`}>Restore from this</a>}
              <a class="button secondary" href={`${base}/runs/${enc(set.runId)}`}>Its run</a>
            </div>
          </div>
          <p>Taken <Time iso={set.createdAt} /> · {set.kind} · {set.totals.succeeded} objects, {set.totals.failed} failed</p>
          {Object.entries(set.items || {}).map(([type, policies]) => (
            <details key={type} class="type-group">
              <summary>{typeLabel(type)} ({policies.length})</summary>
              <ul class="plain">
                {policies.map((policy) => (
                  <li key={policy.policyId}><a href={`${base}/policies/${enc(type)}/${enc(policy.policyId)}`}>{policy.displayName || policy.name || policy.policyId}</a></li>
                ))}
              </ul>
            </details>
          ))}
        </>
      )}
    </section>
  );
}
