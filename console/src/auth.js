// Sign-in: MSAL.js (authorization code flow with PKCE) against Entra in Azure; locally, a dev sign-in that
// asks the app for a dev token of a demo principal. Either way the API gets `Authorization: Bearer` with a
// token it validates the same way (docs/console.md#sign-in).
const DEV_KEY = "tenantatlas.devSignIn";

let config = null;
let msal = null;
let msalAccount = null;
let user = null;

export async function initAuth(clientConfig) {
  config = clientConfig;
  const dev = readDev();
  if (dev && config.devSignIn) {
    user = { name: dev.name, principal: dev.principal, kind: "dev" };
    return;
  }
  if (config.msal) {
    const { PublicClientApplication } = await import("@azure/msal-browser");
    msal = new PublicClientApplication({
      auth: {
        clientId: config.msal.clientId,
        authority: config.msal.authority,
        redirectUri: `${location.origin}/`,
        navigateToLoginRequestUrl: true,
      },
      cache: { cacheLocation: "sessionStorage" },
    });
    await msal.initialize();
    const redirected = await msal.handleRedirectPromise();
    msalAccount = redirected?.account ?? msal.getAllAccounts()[0] ?? null;
    if (msalAccount) {
      msal.setActiveAccount(msalAccount);
      user = { name: msalAccount.username || msalAccount.name, principal: `user:${msalAccount.localAccountId}`, kind: "msal" };
    }
  }
}

export const currentUser = () => user;
export const authConfig = () => config;

export async function devSignIn(name) {
  const answer = await fetch("/api/console/dev-token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ principal: name }),
  });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) {
    const error = new Error(body?.detail || body?.title || `Sign-in failed (${answer.status})`);
    error.problem = body;
    throw error;
  }
  sessionStorage.setItem(DEV_KEY, JSON.stringify(body));
  user = { name: body.name, principal: body.principal, kind: "dev" };
  return user;
}

export async function msalSignIn() {
  await msal.loginRedirect({ scopes: config.msal.scopes });
}

export async function signOut() {
  sessionStorage.removeItem(DEV_KEY);
  const wasMsal = user?.kind === "msal";
  user = null;
  if (wasMsal && msal) await msal.logoutRedirect({ account: msalAccount });
}

/** The bearer token for the next API call, renewed silently when MSAL can; null when signed out. */
export async function accessToken() {
  if (user?.kind === "dev") {
    const dev = readDev();
    if (dev) return dev.accessToken;
    user = null;
    return null;
  }
  if (user?.kind === "msal") {
    try {
      const result = await msal.acquireTokenSilent({ scopes: config.msal.scopes, account: msalAccount });
      return result.accessToken;
    } catch (error) {
      if (error?.name === "InteractionRequiredAuthError") {
        await msal.acquireTokenRedirect({ scopes: config.msal.scopes, account: msalAccount });
      }
      throw error;
    }
  }
  return null;
}

function readDev() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(DEV_KEY) || "null");
    if (stored && stored.expiresOn * 1000 > Date.now() + 60_000) return stored;
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(DEV_KEY);
  return null;
}
