import { useEffect, useState } from "preact/hooks";
import { api, enc, query, tenantPath } from "../api.js";
import { Badge, DiffView, Loading, Problem, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { can, shortId, typeLabel } from "../format.js";
import { useApi } from "../hooks.js";
import { navigate } from "../router.js";

/** A policy's versions, newest first, and the diff between any two of them. */
export function PolicyPage({ tenantId, policyType, policyId, search }) {
  const { byId } = useTenants();
  const tenant = byId[tenantId];
  const base = `/tenants/${enc(tenantId)}`;
  const policyPath = `${tenantPath(tenantId)}/policies/${enc(policyType)}/${enc(policyId)}`;
  const versions = useApi(`${policyPath}/versions?pageSize=100`);
  const items = versions.data?.items || [];
  const [from, setFrom] = useState(search.get("from"));
  const [to, setTo] = useState(search.get("to"));
  const [captureError, setCaptureError] = useState(null);
  useEffect(() => {
    if (items.length >= 2 && !from && !to) {
      setTo(items[0].id);
      setFrom(items[1].id);
    }
  }, [items.length]);
  const name = items[0]?.displayName || policyId;
  useEffect(() => { document.title = `${name} · TenantAtlas`; }, [name]);
  const diff = useApi(from && to && from !== to ? `${policyPath}/diff${query({ from, to })}` : null);

  const capture = async () => {
    try {
      const run = await api(`${policyPath}/snapshots`, { method: "POST" });
      navigate(`${base}/runs/${enc(run.id)}`);
    } catch (error) {
      setCaptureError(error);
    }
  };
  const restoreHref = (version) =>
    `${base}/restore?versions=${enc(`${policyType}|${policyId}|${version.id}`)}`;

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Fleet</a> › <a href={`${base}/inventory`}>{tenant?.displayName || tenantId}</a> › <span>{name}</span></nav>
      <div class="page-head">
        <h1>{name} <span class="muted small">{typeLabel(policyType)}</span></h1>
        <div class="actions">
          {can(tenant?.role, "operator") && <button type="button" class="primary" onClick={capture}>Capture snapshot</button>}
        </div>
      </div>
      <Problem error={captureError} action="capture a snapshot" />
      <Problem error={versions.error} action="list this policy's versions" />
      {versions.loading && !versions.data ? <Loading /> : (
        <div class="policy-layout">
          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">Versions ({items.length})</h2>
            {items.length === 0 ? <p class="empty">No version captured yet.</p> : (
              <table class="timeline">
                <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Captured</th><th scope="col">Change</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {items.map((version, index) => (
                    <tr key={version.id} class={version.id === to || version.id === from ? "chosen" : ""}>
                      <td><input type="radio" name="from" checked={from === version.id} onChange={() => setFrom(version.id)}
                        aria-label={`Compare from version of ${new Date(version.capturedAt).toLocaleString()}`} /></td>
                      <td><input type="radio" name="to" checked={to === version.id} onChange={() => setTo(version.id)}
                        aria-label={`Compare to version of ${new Date(version.capturedAt).toLocaleString()}`} /></td>
                      <td><a href={`${base}/runs/${enc(version.runId)}`}><Time iso={version.capturedAt} /></a>{index === 0 && <> <Badge kind="info">latest</Badge></>}</td>
                      <td>{version.previousVersionId === null ? <Badge>first</Badge> : version.changed ? <Badge kind="warn">changed</Badge> : <span class="muted">unchanged</span>}</td>
                      <td>{can(tenant?.role, "operator") && <a href={restoreHref(version)}>Restore this version</a>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="diff-title" class="diff-panel">
            <h2 id="diff-title">What changed {from && to ? <span class="muted small">{shortId(from)} → {shortId(to)}</span> : ""}</h2>
            {items.length < 2 ? <p class="empty">A diff needs two versions: back up again after a change, or capture a snapshot.</p> :
              from === to ? <p class="empty">Pick two different versions.</p> : (
                <>
                  <Problem error={diff.error} action="compare the versions" />
                  {diff.loading && !diff.data ? <Loading what="Comparing" /> : <DiffView diff={diff.data} />}
                </>
              )}
          </section>
        </div>
      )}
    </section>
  );
}
