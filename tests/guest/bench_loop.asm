%include "lib.inc"
test_main:
    FINISH
