/*
 * PFC export: the filter as readable pseudo code, one block per arch section.
 *
 * The text shows the decision the BPF program implements, not its layout: for each arch, each
 * syscall with its rules in precedence order (the first whose comparisons all hold decides),
 * the section's default, and the bad-arch action. Every action prints by name, NOTIFY included.
 * It is built from the same view as the BPF, so the two cannot disagree about semantics.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"
#include "util.h"

static const char *action_str(uint32_t action, char *buf, size_t size)
{
        switch (action & 0xffff0000U) {
        case SCMPD_ACT_KILL_PROCESS:
                snprintf(buf, size, "KILL_PROCESS");
                break;
        case SCMPD_ACT_KILL_THREAD:
                snprintf(buf, size, "KILL");
                break;
        case SCMPD_ACT_TRAP:
                snprintf(buf, size, "TRAP");
                break;
        case 0x00050000U:
                snprintf(buf, size, "ERRNO(%u)", action & 0xffffU);
                break;
        case 0x7ff00000U:
                snprintf(buf, size, "TRACE(%u)", action & 0xffffU);
                break;
        case SCMPD_ACT_NOTIFY:
                snprintf(buf, size, "NOTIFY");
                break;
        case SCMPD_ACT_LOG:
                snprintf(buf, size, "LOG");
                break;
        case SCMPD_ACT_ALLOW:
                snprintf(buf, size, "ALLOW");
                break;
        default:
                snprintf(buf, size, "0x%08x", action);
        }
        return buf;
}

static const char *op_str(int op)
{
        switch (op) {
        case SCMPD_CMP_NE:
                return "!=";
        case SCMPD_CMP_LT:
                return "<";
        case SCMPD_CMP_LE:
                return "<=";
        case SCMPD_CMP_EQ:
                return "==";
        case SCMPD_CMP_GE:
                return ">=";
        case SCMPD_CMP_GT:
                return ">";
        default:
                return "?";
        }
}

static void print_rule(FILE *out, const struct view_rule *r)
{
        char act[32];
        const char *w = r->bits == 32 ? "32" : "64";

        fprintf(out, "    if (");
        for (unsigned i = 0; i < r->n; i++) {
                const struct view_cmp *c = &r->c[i];
                if (i)
                        fprintf(out, " && ");
                if (c->op == SCMPD_CMP_MASKED_EQ)
                        fprintf(out, "($a%u & 0x%" PRIx64 ") == 0x%" PRIx64, c->arg, c->mask,
                                c->datum);
                else
                        fprintf(out, "$a%u %s 0x%" PRIx64, c->arg, op_str(c->op), c->datum);
        }
        fprintf(out, ") # %s-bit\n      action %s;\n", w, action_str(r->action, act, sizeof(act)));
}

int gen_pfc_text(const struct filter_view *v, char **ret_text, size_t *ret_len)
{
        char *text = NULL, act[32];
        size_t len = 0;
        FILE *out;

        out = open_memstream(&text, &len);
        if (!out)
                return -ENOMEM;
        fprintf(out, "#\n# pseudo filter code start\n#\n");
        for (size_t i = 0; i < v->n_sections; i++) {
                const struct view_section *sec = &v->sections[i];

                fprintf(out, "# filter for arch");
                for (size_t a = 0; a < sec->n_arches; a++)
                        fprintf(out, " %s", sec->arches[a]->name);
                fprintf(out, " (%u)\nif ($arch == %u)\n", sec->audit_arch, sec->audit_arch);
                if (sec->has_bad_range)
                        fprintf(out, "  if ($syscall >= %u && $syscall <= %u)\n    action %s;\n",
                                sec->bad_lo, sec->bad_hi,
                                action_str(v->badarch_action, act, sizeof(act)));
                for (size_t s = 0; s < sec->n_sys; s++) {
                        const struct view_sys *vs = &sec->sys[s];
                        const char *name = vs->name_arch
                                                   ? scmpd_syscall_name(vs->name_arch, vs->name_nr)
                                                   : NULL;

                        if (vs->nr == UINT32_MAX)
                                name = "tracer skip (-1)";
                        fprintf(out, "  # filter for syscall \"%s\" (%u) [priority: %u]\n",
                                name ? name : "UNKNOWN", vs->nr, vs->priority);
                        fprintf(out, "  if ($syscall == %u)\n", vs->nr);
                        if (vs->uncond) {
                                fprintf(out, "    action %s;\n",
                                        action_str(vs->action, act, sizeof(act)));
                                continue;
                        }
                        for (size_t r = 0; r < vs->n_rules; r++)
                                print_rule(out, &vs->rules[r]);
                        fprintf(out, "    action %s;\n",
                                action_str(v->default_action, act, sizeof(act)));
                }
                fprintf(out, "  # default action\n  action %s;\n",
                        action_str(v->default_action, act, sizeof(act)));
        }
        fprintf(out, "# invalid architecture action\naction %s;\n",
                action_str(v->badarch_action, act, sizeof(act)));
        fprintf(out, "#\n# pseudo filter code end\n#\n");
        if (fclose(out) != 0 || !text) {
                free(text);
                return -ENOMEM;
        }
        *ret_text = text;
        *ret_len = len;
        return 0;
}
