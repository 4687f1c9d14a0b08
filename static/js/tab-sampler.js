// Sampler tab.  Placeholder until the sampler feature lands: the module shape
// ({ id, title, mount }) is what tabs.js expects of every tab.

import { placeholder } from './placeholder.js';

export default {
  id: 'sampler',
  title: 'Sampler',
  mount(panel) {
    placeholder(panel, 'Sampler', 'A grid of pads that trigger samples from the data folder. Upload, trim and assign sounds here, and see which pads are playing.');
  },
};
