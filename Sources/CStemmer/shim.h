// Snowball stemmers from Debian's libstemmer-dev (/usr/include/libstemmer.h).
#include <libstemmer.h>
