#ifndef MPETL_CLIBZMQ_SHIM_H
#define MPETL_CLIBZMQ_SHIM_H

// libzmq from Debian's libzmq3-dev. Nothing but the ZeroMQ Swift target imports this module.
#include <zmq.h>

// zmq_msg_t keeps small payloads inline: it must live at a stable address and never be
// copied by value. These helpers let Swift hand libzmq a heap pointer and nothing else.
static inline size_t mpetl_zmq_msg_t_size(void) { return sizeof(zmq_msg_t); }

#endif
