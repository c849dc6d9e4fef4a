/**
 * The Electron preload (sandboxed; bundled by scripts/build.mjs into one CommonJS file that
 * requires nothing but 'electron'). It exposes `window.tapdesk` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeTapdesk } from './expose.ts';

exposeTapdesk(contextBridge, ipcRenderer);
