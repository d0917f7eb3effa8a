// bench_alloc_helper: a process of known peak memory for bench_test.
//   bench_alloc_helper MIB                  allocates MIB mebibytes, touches
//                                           every page (so it is resident), exits 0
//   bench_alloc_helper MIB READY RELEASE    the same, then creates the file
//                                           READY and holds the memory until
//                                           the file RELEASE exists
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) return 2;
  size_t bytes = static_cast<size_t>(std::atol(argv[1])) << 20;
  // volatile: the compiler must not drop the allocation or the writes.
  volatile char* p = static_cast<volatile char*>(std::malloc(bytes));
  if (p == nullptr) return 3;
  for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
  if (argc == 4) {
    int fd = ::open(argv[2], O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return 5;
    ::close(fd);
    while (::access(argv[3], F_OK) != 0) ::usleep(5000);
  }
  return p[bytes / 2] == 1 ? 0 : 4;
}
