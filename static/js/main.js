// Boot: log in first (auth.js), then one socket shared by every part of the
// page.

import * as api from './api.js';
import { startAuth } from './auth.js';
import { mountHeader } from './header.js';
import { mountMeters } from './meters.js';
import { mountOutput } from './output.js';
import { mountPing } from './ping.js';
import { mountSettings } from './settings.js';
import { mountTabs } from './tabs.js';
import { StageSocket } from './ws.js';

const socket = new StageSocket();
const $ = (id) => document.getElementById(id);

await startAuth($('login'));
mountHeader(document.body, socket);
mountMeters($('meters'), socket);
mountOutput($('outstrip'), socket);
mountTabs($('tablist'), $('tabpanels'), { socket, api });
mountPing($('ping-button'), $('ping-result'), socket);
mountSettings($('settings-button'), $('settings'), { api });
socket.start();

// Handy from the devtools console.
window.stagebox = { socket, api };
