// Transcribe tab.  Placeholder until the transcribe feature lands: the module shape
// ({ id, title, mount }) is what tabs.js expects of every tab.

import { placeholder } from './placeholder.js';

export default {
  id: 'transcribe',
  title: 'Transcribe',
  mount(panel) {
    placeholder(panel, 'Transcribe', 'Play a phrase and see it as notes: detected pitches and timing will appear here, ready to save or send as MIDI.');
  },
};
