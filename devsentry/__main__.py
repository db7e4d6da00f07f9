from devsentry.cli import main

main()
