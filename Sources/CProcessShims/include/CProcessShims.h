void mpetl_dummy(void);
