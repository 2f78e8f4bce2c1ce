import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.js";
import { Counters, Loading, Principal, Problem, ProgressBar, StatusBadge, Time } from "../components.jsx";
import { useTenants } from "../context.js";
import { currentUser } from "../auth.js";
import { duration, isActive, runTypeLabel, shortId } from "../format.js";
import { usePolled } from "../hooks.js";

const POLL_SECONDS = 3;
const whileActive = (answer) => (isActive(answer.body.status) ? POLL_SECONDS : null);

/** A fleet run (one request over many tenants): its progress by tenant, each tenant's own run, and
 * Cancel for its requester while it is active. Read from `GET /api/fleet/runs/{id}`, polled while active. */
export function FleetRunPage({ runId }) {
  const [refresh, setRefresh] = useState(0);
  const [leftRunning, setLeftRunning] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const { answer, error } = usePolled(`/api/fleet/runs/${enc(runId)}`, whileActive, refresh);
  const run = answer?.body ?? null;
  useEffect(() => {
    document.title = `${run ? runTypeLabel(run.type) : "Fleet run"} · TenantAtlas`;
  }, [run?.type]);

  const cancel = async () => {
    if (!confirm("Cancel this fleet run and every tenant run in it you may cancel? What is done stays done.")) return;
    try {
      const cancelled = await api(`/api/fleet/runs/${enc(runId)}/cancel`, { method: "POST" });
      setLeftRunning(cancelled.leftRunning);
      setRefresh(refresh + 1);
    } catch (failure) {
      setCancelError(failure);
    }
  };

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Fleet</a> › <span>Fleet run {shortId(runId)}</span>
      </nav>
      <Problem error={error} action="read this fleet run" />
      {!run && !error && <Loading what="Loading the fleet run" />}
      {run && (
        <>
          <div class="page-head">
            <h1>{runTypeLabel(run.type)}</h1>
            <div class="actions">
              {isActive(run.status) && run.requestedBy === currentUser()?.principal && (
                <button type="button" class="danger" onClick={cancel}>Cancel fleet run</button>
              )}
            </div>
          </div>
          <Problem error={cancelError} action="cancel the fleet run" />
          {leftRunning && Object.keys(leftRunning).length > 0 && <LeftRunning left={leftRunning} />}
          <div class="run-summary" aria-live="polite">
            <div class="run-status-line">
              <StatusBadge status={run.status} />{" "}
              <span class="muted">{isActive(run.status) ? "updating live" : `took ${duration(run.startedAt || run.createdAt, run.endedAt)}`}</span>
            </div>
            <ProgressBar processed={run.counters.processed} total={run.counters.total} active={isActive(run.status)} />
            <Counters counters={run.counters} />
            {run.error && <p class="problem" role="alert">{run.error}</p>}
          </div>
          <dl class="meta">
            <dt>Fleet run</dt><dd><code>{run.id}</code></dd>
            <dt>Requested by</dt><dd><Principal id={run.requestedBy} /></dd>
            <dt>Created</dt><dd><Time iso={run.createdAt} /></dd>
            <dt>Ended</dt><dd><Time iso={run.endedAt} /></dd>
          </dl>
          <FleetTenants tenants={run.tenants} />
        </>
      )}
    </section>
  );
}

function LeftRunning({ left }) {
  const { byId } = useTenants();
  return (
    <div class="notice" role="status">
      <p>These tenant runs were left running:</p>
      <ul>
        {Object.entries(left).map(([tenantId, reason]) => (
          <li key={tenantId}>{byId[tenantId]?.displayName || tenantId}: {reason}</li>
        ))}
      </ul>
    </div>
  );
}

function FleetTenants({ tenants }) {
  const { byId } = useTenants();
  return (
    <div class="items">
      <h2>Tenants</h2>
      <table class="items-table fleet-run">
        <caption class="visually-hidden">Each tenant of the fleet run with its own run</caption>
        <thead>
          <tr>
            <th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Run</th>
            <th scope="col" class="num">Items</th><th scope="col">Ended</th>
          </tr>
        </thead>
        <tbody>
          {tenants.map((tenant) => {
            const name = byId[tenant.tenantId]?.displayName || tenant.tenantId;
            const run = tenant.run;
            return (
              <tr key={tenant.tenantId} data-tenant={tenant.tenantId}>
                <th scope="row">{byId[tenant.tenantId] ? <a href={`/tenants/${enc(tenant.tenantId)}`}>{name}</a> : name}</th>
                <td>{tenant.skipped ? <span class="muted">skipped: {tenant.skipped}</span> : run ? <StatusBadge status={run.status} /> : <span class="muted">not found</span>}</td>
                <td>{tenant.runId ? <a href={`/tenants/${enc(tenant.tenantId)}/runs/${enc(tenant.runId)}`}>{shortId(tenant.runId)}</a> : ""}</td>
                <td class="num">{run ? `${run.counters.succeeded} of ${run.counters.total}` : ""}</td>
                <td>{run?.endedAt ? <Time iso={run.endedAt} /> : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
