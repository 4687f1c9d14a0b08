// Looper tab.  Placeholder until the looper feature lands: the module shape
// ({ id, title, mount }) is what tabs.js expects of every tab.

import { placeholder } from './placeholder.js';

export default {
  id: 'looper',
  title: 'Looper',
  mount(panel) {
    placeholder(panel, 'Looper', 'Record, overdub and play loops in time with the click. Each loop will show its length, position, state and level here, with big record / play / stop buttons for a foot or a thumb.');
  },
};
