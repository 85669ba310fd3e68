from planlog.cli import main

main()
