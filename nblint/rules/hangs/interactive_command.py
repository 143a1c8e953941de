"""NB407 interactive-command: a `!` line (or `%pip` / `%conda`) that waits for someone to type."""

from __future__ import annotations

from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.core.lazyre import lazy_compile
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule
from nblint.rules.common.install_lines import magic_shell_text, shell_commands
from nblint.rules.hangs.interactive import judge

_SHOWN_SOURCE = 100
# `%sx cmd` and `%system cmd` run their command as a `!` line does.
_SYSTEM_MAGIC = lazy_compile(r"^(?:[A-Za-z_]\w*\s*=\s*)?%(?:sx|system)\s+")


class InteractiveCommand(NotebookRule):
    """
    ## What it does
    Flags `!` commands that wait for someone to type.

    That is shell commands in `!` lines (and `%sx`, `%system`, `%pip`, `%conda`) that run:

    - an interpreter or shell with nothing to run: `!python`, `!ipython`, `!R`, `!node`,
      `!julia`, `!bash`, `!su`, `!sudo -i`;
    - full-screen programs: editors (`!vim`, `!nano`, `!emacs`), `!less`, `!top` (without `-b`/`-n`),
      `!htop`, and `!more` (a warning: util-linux `more` 2.38 and later waits at "--More--(END)" even
      after a short file, older versions return when the file fits on the screen);
    - installers that ask before changing anything: `!conda install` / `create` / `remove` / `update`
      without `-y`, `!apt-get install` / `!apt install` without `-y` (or `-qq`, which implies it),
      `!yum` / `!dnf install` without `-y`, `pip uninstall` without `-y` (`%pip uninstall` too), and
      `%conda create` (the `%conda` magic adds `--yes` to install, remove and update, not to create);
    - `!ssh host` with no remote command (a login shell), and `!git commit` without `-m`, `-F`, `-C`
      or `--no-edit` (an editor for the message).

    Not flagged: the same with a script or a command (`!python train.py`, `!python -c ...`,
    `!R -e ...`, `!ssh host uptime`), with `-y` / `--yes`, with input fed to it (`yes | ...`,
    `echo y | ...`, `... < answers.txt`), `less` or `more` whose output goes into a pipe or a file,
    `!man` and `!git log` (the kernel sets PAGER=cat and GIT_PAGER=cat), `%conda install` (the
    magic answers yes), `!sudo command` (password-less sudo is the rule where notebooks call it:
    Colab, Kaggle, containers; whether it asks cannot be read from the notebook), lines of `%%bash`
    cells (their standard input is the cell itself, closed at its end: a prompt there reads the next
    line or end-of-file, it does not wait), and `subprocess.run` / `os.system` (a kernel started by
    Jupyter has its standard input closed: the child reads end-of-file and stops).

    ## Why it kills the kernel
    IPython runs a `!` line in a pseudo-terminal and forwards nothing typed to it: a prompt, a pager
    or an editor waits for keys that never come. The cell stays busy ("In [*]") until the kernel is
    interrupted; under papermill, nbconvert or CI the run hangs until its timeout.

    ## Example
        !conda install -c conda-forge lightgbm
        !git commit -a

    ## Use instead
        %conda install -c conda-forge lightgbm
        !git commit -a -m "Retrain with the new features"
    """

    code = "NB407"
    name = "interactive-command"
    severity = Severity.ERROR

    VALID = [
        "!python train.py --epochs 3\n",
        "!python -c 'import sys; print(sys.version)'\n",
        "!python -m pip list\n",
        "!python3 -W ignore script.py\n",
        "!python --version\n",
        "!ipython nbconvert --to script analysis.ipynb\n",
        "!R -e 'print(1)'\n",
        "!R --no-save < script.R\n",
        "!node -e 'console.log(1)'\n",
        "!bash -c 'echo hi'\n",
        "!bash setup.sh\n",
        "!echo 'print(1)' | python\n",
        "!vim -c ':wq' notes.txt\n",
        "!emacs --batch -l build.el\n",
        "!less README.md | head -20\n",
        "!less -F short.txt\n",
        "!more hello.py | cat\n",
        "!man ls\n",
        "!git log --oneline\n",
        "!top -b -n 1 | head -15\n",
        "!conda install -y -c conda-forge lightgbm=4.5\n",
        "!conda install --yes numpy=1.26\n",
        "!conda create -qy -n test python=3.11\n",
        "%conda install -c conda-forge lightgbm=4.5\n",
        "%conda update numpy\n",
        "!conda env create -f environment.yml\n",
        "!apt-get install -y ffmpeg\n",
        "!sudo apt-get install -q -y timidity libsndfile1\n",
        "!apt-get -qq install ffmpeg > /dev/null\n",
        "!apt-get -q -q install ffmpeg\n",
        "!apt-get update\n",
        "!yes | apt-get install ffmpeg\n",
        "!echo y | conda install numpy=1.26\n",
        "!apt-get install ffmpeg < /dev/null\n",
        "!sudo apt install -y fluidsynth\n",
        "!yum install -y gcc\n",
        "!pip uninstall -y tensorflow\n",
        "%pip uninstall --yes tensorflow\n",
        "!pip install tqdm==4.66.5\n",
        "!ssh user@host 'nvidia-smi'\n",
        "!ssh -i key.pem -p 2222 user@host uptime\n",
        "!ssh -N -f -L 8888:localhost:8888 user@host\n",
        "!sudo ldconfig\n",
        "!git commit -am 'Update results'\n",
        "!git commit -m 'Update results'\n",
        "!git commit --amend --no-edit\n",
        "!git -C repo commit -F message.txt\n",
        "!GIT_EDITOR=true git commit\n",
        "!{sys.executable} -m pip install numpy==1.26.4\n",
        "!$PYTHON\n",
        "# !python\n",
        "%%bash\nconda install numpy\n",
        [{"cell_type": "markdown", "source": "Run `!python` in a terminal.", "metadata": {}}],
    ]
    INVALID = [
        Invalid("!python\n", column=1, message="interactive `python` prompt"),
        Invalid("import os\n!python3 -u\n", line=2),
        Invalid("!ipython\n", message="`ipython`"),
        Invalid("!R --vanilla\n", message="`R`"),
        Invalid("!node\n"),
        Invalid("!python -i train.py\n"),
        Invalid("!bash\n"),
        Invalid("!sudo -i\n", message="root shell"),
        Invalid("!vim notes.txt\n", message="editor"),
        Invalid("!nano config.yaml\n"),
        Invalid("!less train.log\n", message="(END)"),
        # from the corpus (Azure ML notebooks): util-linux more 2.38 waits at "--More--(END)" after it
        Invalid("!more hello.py\n", message="--More--"),
        Invalid("!cat train.log | less\n"),
        Invalid("!top\n"),
        Invalid("!htop\n"),
        Invalid("!conda install -c conda-forge lightgbm=4.5\n", message="Proceed ([y]/n)?"),
        Invalid("!conda -q install numpy=1.26\n"),
        Invalid("%conda create -n test python=3.11\n", message="`conda create`"),
        Invalid("!mamba remove numpy\n"),
        Invalid("!apt-get install ffmpeg\n", message="[Y/n]"),
        Invalid("!sudo apt install -q libportaudio2\n"),
        Invalid("!DEBIAN_FRONTEND=noninteractive apt-get install ffmpeg\n"),
        Invalid("!dnf install gcc\n"),
        Invalid("!pip uninstall tensorflow\n", message="Proceed (Y/n)?"),
        Invalid("%pip uninstall -q tensorflow\n"),
        Invalid("!pip install -q x==1.0 && pip uninstall y\n"),
        Invalid("!ssh user@gpu-box\n", message="remote shell"),
        Invalid("!git commit -a\n", message="`-m`"),
        Invalid("!git add . && git commit\n"),
        Invalid("out = !python\n"),
        Invalid("%sx python\n"),
        Invalid("for env in envs:\n    !conda create -n {env} python=3.11\n", line=2, column=5),
    ]

    def check(self, notebook: Notebook) -> None:
        if not notebook.is_python:
            return
        for magic in notebook.magic_lines:
            found = self._shell_text(magic.text)
            if found is None:
                continue
            shell_text, installer_magic = found
            for number, command in enumerate(shell_commands(shell_text)):
                wait = judge(command, installer_magic if number == 0 else None)
                if wait is None:
                    continue
                source = magic.text if len(magic.text) <= _SHOWN_SOURCE else magic.text[: _SHOWN_SOURCE - 3] + "..."
                self.report_at(
                    f"`{source}` {wait.reason}: IPython runs it in a pseudo-terminal that nobody types into, so the "
                    f"cell hangs (In [*]) until the kernel is interrupted, and papermill or CI until a timeout; "
                    f"{wait.remedy}",
                    severity=None if wait.certain else Severity.WARNING,
                    cell=magic.cell,
                    line=magic.line,
                    column=magic.column,
                    evidence=hang_evidence(
                        "blocking-call",
                        source,
                        wait.reason,
                        command=" ".join(command.words),
                        certain=wait.certain,
                    ),
                )
                break  # one finding per line

    @staticmethod
    def _shell_text(text: str) -> tuple[str, str | None] | None:
        system = _SYSTEM_MAGIC.match(text)
        if system:
            return text[system.end() :], None
        return magic_shell_text(text)
