# Documentation examples are compiled by the tests, so the docs cannot drift from the API.
# ct_doc_example(DOC MARKER OUT) writes to OUT the first ```c block of DOC that follows the
# text MARKER ("" = from the top of the page). A missing marker or block is a configure error,
# never a silently skipped example. The page is a configure dependency.
function(ct_doc_example doc marker out)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${doc})
  file(READ ${doc} md)
  if(NOT marker STREQUAL "")
    string(FIND "${md}" "${marker}" p)
    if(p EQUAL -1)
      message(FATAL_ERROR "${doc}: no '${marker}' (the example the tests compile)")
    endif()
    string(SUBSTRING "${md}" ${p} -1 md)
  endif()
  string(FIND "${md}" "```c\n" a)
  if(a EQUAL -1)
    message(FATAL_ERROR "${doc}: no ```c block after '${marker}'")
  endif()
  math(EXPR a "${a} + 5")
  string(SUBSTRING "${md}" ${a} -1 md)
  string(FIND "${md}" "\n```" b)
  string(SUBSTRING "${md}" 0 ${b} code)
  file(WRITE ${out} "${code}\n")
endfunction()
