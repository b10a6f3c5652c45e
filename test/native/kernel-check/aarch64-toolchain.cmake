# Cross-compiling for 64-bit Arm Linux with Debian/Ubuntu's g++-aarch64-linux-gnu.
# Used by the kernel check (scripts/test-kernels-aarch64.sh) and for the
# addon: cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=test/native/kernel-check/aarch64-toolchain.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
