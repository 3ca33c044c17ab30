// liblz4's block and frame APIs; nothing variadic, so no wrappers are needed.
#include <lz4.h>
#include <lz4frame.h>
