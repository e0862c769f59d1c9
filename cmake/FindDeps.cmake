# Dependencies, found through pkg-config (Debian ships .pc files for all of them), each wrapped in
# an imported ct:: target so the library links them PRIVATE and no type leaks into the API.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

function(ct_pkg target)
  set(mods ${ARGN})
  pkg_check_modules(_ct_${target} QUIET IMPORTED_TARGET GLOBAL ${mods})
  if(NOT _ct_${target}_FOUND)
    message(FATAL_ERROR "cryptota: missing dependency ${mods}. Run: sh cmake/install-deps.sh build")
  endif()
  add_library(ct::${target} INTERFACE IMPORTED GLOBAL)
  target_link_libraries(ct::${target} INTERFACE PkgConfig::_ct_${target})
endfunction()

ct_pkg(zstd libzstd)
ct_pkg(curl libcurl)
ct_pkg(cjson libcjson)

# OpenBLAS provides CBLAS; LAPACKE comes from liblapacke (Debian) or is bundled in OpenBLAS.
pkg_check_modules(_ct_openblas QUIET IMPORTED_TARGET GLOBAL openblas)
find_library(CT_LAPACKE_LIB NAMES lapacke)
find_path(CT_LAPACKE_INC NAMES lapacke.h PATH_SUFFIXES openblas)
find_path(CT_CBLAS_INC NAMES cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread)
if(NOT _ct_openblas_FOUND OR NOT CT_CBLAS_INC)
  message(FATAL_ERROR "cryptota: missing OpenBLAS (CBLAS). Run: sh cmake/install-deps.sh build")
endif()
add_library(ct::blas INTERFACE IMPORTED GLOBAL)
target_link_libraries(ct::blas INTERFACE PkgConfig::_ct_openblas)
target_include_directories(ct::blas INTERFACE ${CT_CBLAS_INC})
if(CT_LAPACKE_LIB AND CT_LAPACKE_INC)
  target_link_libraries(ct::blas INTERFACE ${CT_LAPACKE_LIB})
  target_include_directories(ct::blas INTERFACE ${CT_LAPACKE_INC})
endif()

# Check is only needed by the tests.
if(CT_BUILD_TESTS)
  pkg_check_modules(_ct_check QUIET IMPORTED_TARGET GLOBAL check)
  if(NOT _ct_check_FOUND)
    message(FATAL_ERROR "cryptota: missing Check (tests). Run: sh cmake/install-deps.sh test")
  endif()
  add_library(ct::check INTERFACE IMPORTED GLOBAL)
  target_link_libraries(ct::check INTERFACE PkgConfig::_ct_check)
endif()
