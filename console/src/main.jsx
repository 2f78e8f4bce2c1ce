import { render } from "preact";
import { App } from "./app.jsx";
import { initAuth } from "./auth.js";
import "./style.css";

async function start() {
  const root = document.getElementById("app");
  let config;
  try {
    const answer = await fetch("/config.json", { headers: { Accept: "application/json" } });
    config = await answer.json();
    if (!answer.ok) throw new Error(config?.detail || config?.title || `config.json answered ${answer.status}`);
    await initAuth(config);
  } catch (error) {
    render(<p class="problem" role="alert">The console could not start: {String(error.message || error)}</p>, root);
    return;
  }
  root.textContent = "";
  render(<App config={config} />, root);
}

start();
