from contactplan.cli import main

main()
