/**
 * The webview's side of the protocol: the one place that calls `acquireVsCodeApi`, posts typed `FromWebview`
 * messages, and hands only validated `ToWebview` messages to the panel (anything else is dropped and logged).
 */
import {
  type FromWebview,
  isPanelState,
  isToWebview,
  type PanelState,
  type ToWebview,
} from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(message: FromWebview): void {
  api.postMessage(message);
}

/** Saves the panel's state (from the host, in body[data-state]) so VS Code can restore the panel after a reload. */
export function keepState(): PanelState | undefined {
  let state: unknown;
  try {
    state = JSON.parse(document.body.dataset.state ?? 'null');
  } catch {
    state = undefined;
  }
  if (isPanelState(state)) {
    api.setState(state);
    return state;
  }
  return undefined;
}

/** Listens for host messages, checks them, then says `ready` so the host sends the content. */
export function connect(onMessage: (m: ToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    if (!isToWebview(event.data)) {
      console.warn('PXP: dropped a malformed message from the host', event.data);
      return;
    }
    onMessage(event.data);
  });
  keepState();
  post({ type: 'ready' });
}
