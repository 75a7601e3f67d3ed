#include "CProcessShims.h"
void mpetl_dummy(void) {}
