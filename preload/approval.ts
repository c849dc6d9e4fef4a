/**
 * The approval window's Electron preload (sandboxed; bundled into one CommonJS file that requires
 * nothing but 'electron'). It exposes `window.tapdeskApproval` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeApproval } from './approval-expose.ts';

exposeApproval(contextBridge, ipcRenderer);
