import { useState } from "preact/hooks";
import { api, enc, tenantPath } from "../api.js";
import { HealthBadge, Loading, Principal, Problem, Time } from "../components.jsx";
import { ROLES } from "../format.js";
import { useApi } from "../hooks.js";

/** A tenant's onboarding and access, for its admins: the last verification (verify again, the admin
 * consent link to send the customer) and who holds which role, directly or through an Entra group. */
export function AccessTab({ tenantId }) {
  return (
    <div class="access">
      <HealthCard tenantId={tenantId} />
      <Grants
        tenantId={tenantId} kind="members" title="Members" keyName="principal"
        label="Principal (user:<object id> or app:<client id>)" placeholder="user:00000000-0000-0000-0000-000000000000"
      />
      <Grants
        tenantId={tenantId} kind="group-roles" title="Entra groups" keyName="groupId"
        label="Group object ID" placeholder="00000000-0000-0000-0000-000000000000"
      />
    </div>
  );
}

function HealthCard({ tenantId }) {
  const tenant = useApi(tenantPath(tenantId));
  const [busy, setBusy] = useState(false);
  const [consent, setConsent] = useState(null);
  const [error, setError] = useState(null);
  const health = tenant.data?.health;

  const verify = async () => {
    setBusy(true);
    try {
      await api(`${tenantPath(tenantId)}/verify`, { method: "POST" });
      setError(null);
      tenant.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const consentLink = async () => {
    try {
      setConsent(await api(`${tenantPath(tenantId)}/consent`));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section class="card" aria-labelledby="health-title">
      <h2 id="health-title">Consent and permissions</h2>
      <Problem error={tenant.error || error} action="verify the tenant" />
      {tenant.loading && !tenant.data ? <Loading /> : health && (
        <dl class="meta">
          <dt>Health</dt><dd><HealthBadge health={health} /></dd>
          <dt>Checked</dt><dd><Time iso={health.checkedAt} /></dd>
          {health.missingPermissions.length > 0 && (
            <><dt>Missing permissions</dt><dd><ul class="plain">{health.missingPermissions.map((p) => <li key={p}><code>{p}</code></li>)}</ul></dd></>
          )}
          {health.detail && <><dt>Found</dt><dd>{health.detail}</dd></>}
          <dt>Credential</dt><dd><code>{tenant.data.credentialRef}</code></dd>
        </dl>
      )}
      <div class="row">
        <button type="button" class="primary" disabled={busy} onClick={verify}>{busy ? "Verifying…" : "Verify now"}</button>
        <button type="button" class="secondary" onClick={consentLink}>Admin consent link</button>
      </div>
      {consent && (
        <label class="consent">Send this to the customer's Global Administrator, then verify
          <input readOnly value={consent.consentUrl} onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
    </section>
  );
}

/** Direct memberships or group roles: list, grant (PUT) and revoke (DELETE); every change is audited. */
function Grants({ tenantId, kind, title, keyName, label, placeholder }) {
  const base = `${tenantPath(tenantId)}/${kind}`;
  const list = useApi(base);
  const [form, setForm] = useState({ key: "", role: "reader" });
  const [error, setError] = useState(null);

  const grant = async (event) => {
    event.preventDefault();
    try {
      await api(`${base}/${enc(form.key.trim())}`, { method: "PUT", body: { role: form.role } });
      setForm({ key: "", role: form.role });
      setError(null);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const revoke = async (key) => {
    if (!confirm(`Take the role on this tenant away from ${key}?`)) return;
    try {
      await api(`${base}/${enc(key)}`, { method: "DELETE" });
      setError(null);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      <Problem error={list.error || error} action={`change ${title.toLowerCase()}`} />
      {list.loading && !list.data ? <Loading /> : list.data && (
        list.data.items.length === 0 ? <p class="empty">None.</p> : (
          <table class={`grants grants-${kind}`}>
            <thead><tr><th scope="col">{keyName === "principal" ? "Principal" : "Group"}</th><th scope="col">Role</th><th scope="col">Granted by</th><th scope="col">Granted</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {list.data.items.map((grant) => (
                <tr key={grant[keyName]}>
                  <td>{keyName === "principal" ? <Principal id={grant.principal} /> : <code>{grant.groupId}</code>}</td>
                  <td>{grant.role}</td>
                  <td><Principal id={grant.grantedBy} /></td>
                  <td><Time iso={grant.grantedAt} /></td>
                  <td class="row-actions"><button type="button" class="danger" onClick={() => revoke(grant[keyName])}>Revoke</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      <form class="filters" onSubmit={grant}>
        <label>{label}<input required value={form.key} placeholder={placeholder} onInput={(e) => setForm({ ...form, key: e.currentTarget.value })} /></label>
        <label>Role <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
          {ROLES.map((role) => <option key={role} value={role}>{role}</option>)}
        </select></label>
        <button type="submit" class="secondary">Grant</button>
      </form>
    </section>
  );
}
