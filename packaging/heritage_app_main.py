"""Entry point of the frozen ``heritage-app`` window (PyInstaller runs this file as __main__)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen worker process starts here and runs its job instead
    from heritage_app.main import main

    sys.exit(main())
