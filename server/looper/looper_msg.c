/*
 * looper_msg.c - the looper's words and messages (see looper_msg.h).
 */
#include "server/looper/looper_msg.h"

#include <string.h>

const char *const looper_state_words[] = {
	"empty", "recording", "playing", "overdubbing", "muted", NULL,
};

const char *const looper_quantize_words[] = { "off", "beat", "bar", NULL };

const char *const looper_action_words[] = {
	"none", "record", "overdub", "play", "mute", "solo", "clear", "undo",
	"redo", NULL,
};

const char *looper_word(const char *const *words, int v)
{
	for (int i = 0; words[i]; i++)
		if (i == v)
			return words[i];
	return NULL;
}

int looper_word_index(const char *const *words, const char *w)
{
	for (int i = 0; w && words[i]; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

struct sb_msg looper_msg_tempo(double bpm)
{
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_TEMPO };

	m.u.tempo.bpm = bpm;
	return m;
}

struct sb_msg looper_msg_meter(int beats_per_bar)
{
	struct sb_msg m = { .type = SB_CMD_TRANSPORT_METER };

	m.u.meter.beats_per_bar = beats_per_bar;
	return m;
}

struct sb_msg looper_msg_click(int enabled, float volume)
{
	struct sb_msg m = { .type = SB_CMD_CLICK_SET };

	m.u.click.enabled = enabled != 0;
	m.u.click.volume = volume;
	return m;
}

struct sb_msg looper_msg(uint16_t type, int column, int track, int32_t value)
{
	struct sb_msg m = { .type = type };

	m.u.looper.column = column;
	m.u.looper.track = track;
	m.u.looper.value = value;
	return m;
}
