// How the console names things: run types, statuses, times, principals and setting paths.
const RUN_TYPES = {
  "backup.tenant": "Backup",
  "backup.scheduled": "Scheduled backup",
  "backup.retention": "Retention",
  "policy.capture_snapshot": "Snapshot",
  "restore.preview": "Restore preview",
  "restore.live": "Live restore",
};
export const RUN_TYPE_NAMES = Object.keys(RUN_TYPES);
/** Runs over many tenants (their own page, not in a tenant's run list). */
const FLEET_RUN_TYPES = {
  "backup.fleet": "Fleet backup",
  "restore.fleet_preview": "Fleet restore preview",
  "restore.fleet_live": "Fleet live restore",
};
export const runTypeLabel = (type) => RUN_TYPES[type] || FLEET_RUN_TYPES[type] || type;
export const RUN_STATUSES = ["queued", "running", "succeeded", "partially_succeeded", "failed", "cancelled"];
export const statusLabel = (status) => (status || "").replace(/_/g, " ");
export const isActive = (status) => status === "queued" || status === "running";

const ROLE_RANK = { reader: 1, operator: 2, admin: 3 };
export const ROLES = Object.keys(ROLE_RANK);
export const can = (role, needed) => (ROLE_RANK[role] || 0) >= ROLE_RANK[needed];

export function formatTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function age(iso, now = Date.now()) {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function duration(fromIso, toIso) {
  if (!fromIso) return "—";
  const seconds = Math.round(((toIso ? new Date(toIso) : new Date()) - new Date(fromIso)) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export const shortId = (id) => (id && id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id || "");

/** The last part of a Graph type path (`deviceManagement/configurationPolicies` -> `configurationPolicies`). */
export const typeLabel = (type) => (type || "").split("/").pop().replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();

const SETTING = /^settings\[([^\]]+)\]\.?(.*)$/;
const WRAPPERS = [
  [/^settingInstance\.?/, ""],
  [/choiceSettingValue\.value$/, "value"],
  [/simpleSettingValue\.value$/, "value"],
  [/choiceSettingValue\.children/, "options"],
  [/groupSettingCollectionValue/, "rows"],
  [/simpleSettingCollectionValue/, "values"],
];

/** A diff path split into the setting it belongs to and the field within it, in words. A settings catalog
 * path (`settings[<definition id>].settingInstance.choiceSettingValue.value`) names its setting by the
 * definition ID; any other path is a property of the policy. */
export function describePath(path) {
  const found = SETTING.exec(path);
  if (!found) return { setting: null, field: path };
  let field = found[2];
  for (const [pattern, replacement] of WRAPPERS) field = field.replace(pattern, replacement);
  return { setting: found[1], field: field.replace(/^\./, "") || "setting" };
}

/** A settings catalog definition ID as a name: its last word, with the area before it. */
export function settingName(definitionId) {
  const cut = definitionId.lastIndexOf("_");
  if (cut < 0) return { name: definitionId, area: "" };
  return { name: definitionId.slice(cut + 1), area: definitionId.slice(0, cut) };
}

/** A value shown short: a choice value repeats its definition ID, so only what follows it is shown. */
export function showValue(value, definitionId) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") {
    if (definitionId && value.startsWith(`${definitionId}_`)) return value.slice(definitionId.length + 1);
    return value;
  }
  return JSON.stringify(value);
}
