import { useEffect, useMemo, useState } from "preact/hooks";
import { whenUnauthenticated } from "./api.js";
import { currentUser, signOut } from "./auth.js";
import { Loading, Problem } from "./components.jsx";
import { TenantsContext } from "./context.js";
import { useApi } from "./hooks.js";
import { Bell } from "./bell.jsx";
import { match, navigate, onLinkClick, useLocation } from "./router.js";
import { BackupPage } from "./pages/backup.jsx";
import { FleetPage } from "./pages/fleet.jsx";
import { FleetRunPage } from "./pages/fleetrun.jsx";
import { PolicyPage } from "./pages/policy.jsx";
import { RestoreWizard } from "./pages/restore.jsx";
import { RunPage } from "./pages/run.jsx";
import { SignInPage } from "./pages/signin.jsx";
import { TenantPage } from "./pages/tenant.jsx";

const ROUTES = [
  ["/", FleetPage],
  ["/fleet/runs/:runId", FleetRunPage],
  ["/tenants/:tenantId", TenantPage],
  ["/tenants/:tenantId/restore", RestoreWizard],
  ["/tenants/:tenantId/runs/:runId", RunPage],
  ["/tenants/:tenantId/backups/:backupId", BackupPage],
  ["/tenants/:tenantId/policies/:policyType/:policyId", PolicyPage],
  ["/tenants/:tenantId/:tab", TenantPage],
];

export function App({ config }) {
  const [user, setUser] = useState(currentUser());
  useEffect(() => whenUnauthenticated(() => setUser(null)), []);
  if (!user) return <SignInPage config={config} onSignedIn={setUser} />;
  return <SignedIn user={user} onSignOut={async () => { await signOut(); setUser(null); }} />;
}

function SignedIn({ user, onSignOut }) {
  const location = useLocation();
  const tenants = useApi("/api/tenants");
  const context = useMemo(() => {
    const list = tenants.data?.items || [];
    return { tenants: list, byId: Object.fromEntries(list.map((t) => [t.tenantId, t])), reload: tenants.reload,
      loaded: Boolean(tenants.data) };
  }, [tenants.data]);
  const found = match(ROUTES, location.path);
  useEffect(() => {
    document.title = found ? "TenantAtlas" : "Not found · TenantAtlas";
    // A new page: keyboard and screen reader users start at its content, not at the link they left.
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [location.path]);
  const View = found?.view;
  return (
    <TenantsContext.Provider value={context}>
      <div class="shell" onClick={onLinkClick}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">TenantAtlas</a>
          <nav aria-label="Main"><a href="/" aria-current={location.path === "/" ? "page" : undefined}>Fleet</a></nav>
          <div class="top-right">
            <Bell path={location.path} />
            <span class="who" title={user.principal}>{user.name}</span>
            <button type="button" class="secondary" onClick={onSignOut}>Sign out</button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {tenants.error ? <Problem error={tenants.error} action="list your tenants" /> :
            !context.loaded ? <Loading what="Loading your tenants" /> :
            View ? <View {...found.params} search={location.search} key={location.path} /> : <NotFound />}
        </main>
      </div>
    </TenantsContext.Provider>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>The console has no page at this address. <button type="button" class="link-button" onClick={() => navigate("/")}>Go to the fleet</button></p>
    </section>
  );
}
