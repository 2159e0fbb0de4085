/* What main.c, which starts either transport, gives them. */
#ifndef KSS_MAIN_H
#define KSS_MAIN_H

/* Says on stderr, in one line, that kss serves as root, when it does. */
void kss_warn_root(void);

#endif
