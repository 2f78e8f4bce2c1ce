import { useState } from "preact/hooks";
import { api, enc, tenantPath } from "../api.js";
import { Badge, Loading, Problem, Time } from "../components.jsx";
import { can } from "../format.js";
import { useApi } from "../hooks.js";

const EMPTY = { cron: "0 0 2 * * *", timeZone: "UTC", keepLast: "", keepDays: "", enabled: true };

/** Backup schedules: everyone with a role sees them; admins create, edit (with If-Match) and delete. */
export function SchedulesTab({ tenantId, role }) {
  const list = useApi(`${tenantPath(tenantId)}/schedules?pageSize=100`);
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState(null);
  const admin = can(role, "admin");

  const save = async (form) => {
    const body = {
      cron: form.cron.trim(),
      timeZone: form.timeZone.trim(),
      enabled: form.enabled,
      retention: {
        keepLast: form.keepLast === "" ? null : Number(form.keepLast),
        keepDays: form.keepDays === "" ? null : Number(form.keepDays),
      },
    };
    try {
      if (form.id) {
        await api(`${tenantPath(tenantId)}/schedules/${enc(form.id)}`, { method: "PUT", body, headers: { "If-Match": form.etag } });
      } else {
        await api(`${tenantPath(tenantId)}/schedules`, { method: "POST", body });
      }
      setEditing(null);
      setError(null);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const remove = async (schedule) => {
    if (!confirm(`Delete the schedule “${schedule.cron}”? Backup sets it made are kept.`)) return;
    try {
      await api(`${tenantPath(tenantId)}/schedules/${enc(schedule.id)}`, { method: "DELETE", headers: { "If-Match": schedule.etag } });
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <div>
      {admin && !editing && <button type="button" class="secondary" onClick={() => setEditing(EMPTY)}>New schedule</button>}
      <Problem error={list.error || error} action="manage schedules" />
      {editing && <ScheduleForm initial={editing} onSave={save} onCancel={() => { setEditing(null); setError(null); }} />}
      {list.loading && !list.data ? <Loading /> : list.data && (
        list.data.items.length === 0 ? <p class="empty">No backup schedule.</p> : (
          <table>
            <thead><tr><th scope="col">Cron (NCRONTAB)</th><th scope="col">Time zone</th><th scope="col">Retention</th><th scope="col">State</th><th scope="col">Next due</th><th scope="col">Last run</th>{admin && <th scope="col"><span class="visually-hidden">Actions</span></th>}</tr></thead>
            <tbody>
              {list.data.items.map((schedule) => (
                <tr key={schedule.id}>
                  <td><code>{schedule.cron}</code></td>
                  <td>{schedule.timeZone}</td>
                  <td>{retentionText(schedule.retention)}</td>
                  <td>{schedule.enabled ? <Badge kind="ok">enabled</Badge> : <Badge>disabled</Badge>}</td>
                  <td>{schedule.enabled && schedule.nextDue ? <Time iso={schedule.nextDue} /> : "—"}</td>
                  <td>{schedule.lastRunId ? <a href={`/tenants/${enc(tenantId)}/runs/${enc(schedule.lastRunId)}`}>run</a> : "—"}</td>
                  {admin && (
                    <td class="row-actions">
                      <button type="button" class="secondary" onClick={() => setEditing(toForm(schedule))}>Edit</button>
                      <button type="button" class="danger" onClick={() => remove(schedule)}>Delete</button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </div>
  );
}

const retentionText = (retention) => [
  retention?.keepLast ? `last ${retention.keepLast}` : null,
  retention?.keepDays ? `${retention.keepDays} days` : null,
].filter(Boolean).join(", ") || "keep all";

const toForm = (schedule) => ({
  id: schedule.id, etag: schedule.etag, cron: schedule.cron, timeZone: schedule.timeZone, enabled: schedule.enabled,
  keepLast: schedule.retention?.keepLast ?? "", keepDays: schedule.retention?.keepDays ?? "",
});

function ScheduleForm({ initial, onSave, onCancel }) {
  const [form, setForm] = useState(initial);
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  return (
    <form class="card schedule-form" onSubmit={(event) => { event.preventDefault(); onSave(form); }}>
      <h2>{form.id ? "Edit schedule" : "New schedule"}</h2>
      <label>Cron (six fields, seconds first) <input required value={form.cron} onInput={field("cron")} /></label>
      <label>Time zone (IANA) <input required value={form.timeZone} onInput={field("timeZone")} /></label>
      <label>Keep last (backup sets) <input type="number" min="1" value={form.keepLast} onInput={field("keepLast")} /></label>
      <label>Keep days <input type="number" min="1" value={form.keepDays} onInput={field("keepDays")} /></label>
      <label class="check"><input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.currentTarget.checked })} /> Enabled</label>
      <div class="row">
        <button type="submit" class="primary">Save</button>
        <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
