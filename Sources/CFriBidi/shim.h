#include <fribidi.h>

/* The paragraph directions are macros Swift cannot import. */
static inline FriBidiParType pishkhan_fribidi_par_on(void) { return FRIBIDI_PAR_ON; }
static inline FriBidiParType pishkhan_fribidi_par_ltr(void) { return FRIBIDI_PAR_LTR; }
static inline FriBidiParType pishkhan_fribidi_par_rtl(void) { return FRIBIDI_PAR_RTL; }
