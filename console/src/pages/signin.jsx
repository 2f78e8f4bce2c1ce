import { useState } from "preact/hooks";
import { devSignIn, msalSignIn } from "../auth.js";

export function SignInPage({ config, onSignedIn }) {
  const principals = config.devSignIn?.principals || [];
  const [name, setName] = useState(principals[0] || "");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const signInAs = async (who) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await devSignIn(who));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>TenantAtlas</h1>
      <p>Backups, versions and restores of Intune configuration across your customers' tenants.</p>
      {config.msal && (
        <button type="button" class="primary" onClick={() => msalSignIn()}>Sign in with Microsoft</button>
      )}
      {config.devSignIn && (
        <form class="card" onSubmit={(event) => { event.preventDefault(); signInAs(name); }}>
          <h2>Dev sign-in</h2>
          <p class="muted">Local stack only: a dev token for a demo principal, checked by the API as any token.</p>
          {principals.length > 0 && (
            <div class="principal-list" role="group" aria-label="Demo principals">
              {principals.map((who) => (
                <button key={who} type="button" class="secondary" disabled={busy} onClick={() => signInAs(who)}>{who}</button>
              ))}
            </div>
          )}
          <label for="principal">Principal name</label>
          <div class="row">
            <input id="principal" name="principal" value={name} autoComplete="username" required
              onInput={(event) => setName(event.currentTarget.value)} />
            <button type="submit" class="primary" disabled={busy || !name.trim()}>Sign in</button>
          </div>
          {error && <p class="problem" role="alert">{error}</p>}
        </form>
      )}
      {!config.msal && !config.devSignIn && (
        <p class="problem" role="alert">Sign-in is not configured: set TENANTATLAS_CONSOLE_CLIENT_ID (docs/console.md).</p>
      )}
    </main>
  );
}
