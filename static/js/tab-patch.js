// Patch tab.  Placeholder until the patch feature lands: the module shape
// ({ id, title, mount }) is what tabs.js expects of every tab.

import { placeholder } from './placeholder.js';

export default {
  id: 'patch',
  title: 'Patch',
  mount(panel) {
    placeholder(panel, 'Patch', 'The signal routing: which inputs feed which effects, loops and outputs, with levels and mutes per connection.');
  },
};
