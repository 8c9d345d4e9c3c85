#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <curses.h>

/* Macros and globals Swift cannot import as they are. */
static inline WINDOW *pk_stdscr(void) { return stdscr; }
static inline int pk_lines(void) { return LINES; }
static inline int pk_cols(void) { return COLS; }
static inline int pk_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int pk_a_bold(void) { return (int)A_BOLD; }
static inline int pk_a_reverse(void) { return (int)A_REVERSE; }
static inline int pk_a_dim(void) { return (int)A_DIM; }
static inline int pk_attrset(int a) { return attrset(a); }
static inline int pk_key_code_yes(void) { return KEY_CODE_YES; }
static inline int pk_err(void) { return ERR; }
