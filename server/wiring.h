/*
 * wiring.h - the lists main.c wires together: command domains
 * (commands.c) and server modules (modules.c).
 */
#ifndef SB_WIRING_H
#define SB_WIRING_H

#include "server/cmd/cmd.h"
#include "server/core/ctl.h"

extern const struct cmd_domain cmd_engine_domain;	/* core/cmd_engine.c */
extern const struct cmd_domain cmd_looper_domain;	/* looper/cmd_looper.c */
extern const struct cmd_domain cmd_patch_domain;	/* patch/cmd_patch.c */
extern const struct cmd_domain cmd_jack_domain;		/* audio/cmd_jack.c */
extern const struct cmd_domain cmd_output_domain;	/* core/cmd_output.c */
extern const struct cmd_domain cmd_auth_domain;		/* front/cmd_auth.c */
extern const struct cmd_domain *const cmd_domains[];	/* NULL-terminated */

extern const struct srv_module *const srv_modules[];	/* NULL-terminated */

#endif
