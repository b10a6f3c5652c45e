# The kernel sources and their per-file ISA flags, shared by the addon
# (CMakeLists.txt) and the native kernel check (test/native/kernel-check).
#
# ISA flags follow the file name, per file; nothing is built with -march=native.
# Variants for another architecture are left out of the build and their list
# entries compiled out (SPARQ_HAVE_AVX2 covers every x86 level, SPARQ_HAVE_NEON
# every AArch64 one). The suffixes:
#   -avx2.cc        x86: -mavx2 -mfma
#   -avx512.cc      x86: + AVX-512 F/DQ/BW/VL
#   -avx512vnni.cc  x86: + AVX-512 VNNI
#   -avx512vbmi.cc  x86: + AVX-512 VBMI
#   -amx.cc         x86: + AMX tiles and AMX-INT8
#   -neon.cc        AArch64: no flags (Advanced SIMD is baseline)
#   -neondot.cc     AArch64: -march=armv8.2-a+dotprod (sdot/udot)
# A variant's list entry names the matching Isa, so dispatch only runs it on a
# CPU that has the extension.
#
# Sets SPARQ_KERNEL_SOURCES, SPARQ_X86, SPARQ_ARM64 and SPARQ_KERNEL_DEFINITIONS
# (the SPARQ_HAVE_* macros every kernel file must see).

file(GLOB SPARQ_KERNEL_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/*/*.cc")

set(SPARQ_X86 OFF)
set(SPARQ_ARM64 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86)$")
  set(SPARQ_X86 ON)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(SPARQ_ARM64 ON)
endif()
set(SPARQ_FLAGS_avx2 "-mavx2;-mfma")
set(SPARQ_FLAGS_avx512 "-mavx2;-mfma;-mavx512f;-mavx512dq;-mavx512bw;-mavx512vl")
set(SPARQ_FLAGS_avx512vnni "${SPARQ_FLAGS_avx512};-mavx512vnni")
set(SPARQ_FLAGS_avx512vbmi "${SPARQ_FLAGS_avx512};-mavx512vbmi")
set(SPARQ_FLAGS_amx "${SPARQ_FLAGS_avx512vnni};-mamx-tile;-mamx-int8")
set(SPARQ_FLAGS_neondot "-march=armv8.2-a+dotprod")
foreach(src ${SPARQ_KERNEL_SOURCES})
  if(src MATCHES "-(avx2|avx512|avx512vnni|avx512vbmi|amx)\\.cc$")
    if(SPARQ_X86)
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${SPARQ_FLAGS_${CMAKE_MATCH_1}}")
    else()
      list(REMOVE_ITEM SPARQ_KERNEL_SOURCES ${src})
    endif()
  elseif(src MATCHES "-(neon|neondot)\\.cc$")
    if(NOT SPARQ_ARM64)
      list(REMOVE_ITEM SPARQ_KERNEL_SOURCES ${src})
    elseif(CMAKE_MATCH_1 STREQUAL "neondot")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${SPARQ_FLAGS_neondot}")
    endif()
  endif()
endforeach()

# f32-elementwise rounds every product and sum to float before the next
# operation (alpha * x, then + beta), as onnxruntime's baseline build does:
# no FP contraction into FMA for its files, on any compiler or target.
foreach(src ${SPARQ_KERNEL_SOURCES})
  if(src MATCHES "/(f32|qx8)-elementwise/")
    set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS "-ffp-contract=off")
  endif()
endforeach()

set(SPARQ_KERNEL_DEFINITIONS
  $<$<BOOL:${SPARQ_X86}>:SPARQ_HAVE_AVX2=1>
  $<$<BOOL:${SPARQ_ARM64}>:SPARQ_HAVE_NEON=1>)
