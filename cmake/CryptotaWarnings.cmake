# House warning set (STYLE.md R16). CT_WERROR turns them into errors (make test, CI).
function(ct_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
    -Wdouble-promotion -Wcast-qual -Wno-unused-parameter
    $<$<BOOL:${CT_WERROR}>:-Werror>)
endfunction()

# Looser set for tests and host programs (no prototype rules for test bodies).
function(ct_set_host_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter $<$<BOOL:${CT_WERROR}>:-Werror>)
endfunction()
