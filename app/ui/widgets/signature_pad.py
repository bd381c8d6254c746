"""A signature pad: draw with the mouse (or a pen), get PNG bytes."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

type Stroke = list[tuple[float, float]]


class SignaturePad(QWidget):
    """Strokes drawn with the mouse; ``to_png()`` renders them on white, None when empty."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strokes: list[Stroke] = []
        self.recorded = False  # already signed on the stored visit: shown, not drawn again
        self._image: QImage | None = None
        self._recorded_text = ""
        self.setMinimumSize(260, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Signature pad: draw the signature with the mouse")

    def sizeHint(self) -> QSize:
        return QSize(320, 100)

    @property
    def empty(self) -> bool:
        return not self.recorded and not any(len(s) > 1 for s in self.strokes)

    def show_recorded(self, image: QImage | None, text: str = "Signed") -> None:
        """Show the signature already stored (its image, else ``text``); read-only."""
        self.recorded, self._image, self.strokes = True, image, []
        self._recorded_text = text
        self.setEnabled(False)
        self.setToolTip("Signed on the stored visit")
        self.update()

    def clear(self) -> None:
        if self.recorded:
            return
        self.strokes = []
        self.update()
        self.changed.emit()

    def set_strokes(self, strokes: list[list[list[float]]]) -> None:
        """Restore strokes saved as JSON lists (e.g. from a draft)."""
        self.strokes = [[(float(p[0]), float(p[1])) for p in s] for s in strokes]
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.isEnabled() and not self.recorded and event.button() is Qt.MouseButton.LeftButton:
            point = event.position()
            self.strokes.append([(point.x(), point.y())])
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.strokes and event.buttons() & Qt.MouseButton.LeftButton:
            point = event.position()
            self.strokes[-1].append((point.x(), point.y()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() is Qt.MouseButton.LeftButton:
            self.changed.emit()

    def _draw(self, painter: QPainter) -> None:
        pen = QPen(QColor("#0d2a6b"), 2.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for stroke in self.strokes:
            for (x1, y1), (x2, y2) in itertools.pairwise(stroke):
                painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        white = self.isEnabled() or self.recorded  # a stored signature shows on white paper
        painter.fillRect(self.rect(), QColor("white") if white else QColor("#eeeeee"))
        painter.setPen(QPen(QColor("#9e9e9e"), 1, Qt.PenStyle.DashLine))
        baseline = self.height() - 18
        painter.drawLine(12, baseline, self.width() - 12, baseline)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._image is not None:
            scaled = self._image.scaled(
                self.size() - QSize(4, 4),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            painter.drawImage(2, 2, scaled)
        elif self.recorded:
            painter.setPen(QColor("#455a64"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._recorded_text)
        self._draw(painter)
        painter.end()

    def to_png(self) -> bytes | None:
        """The signature as PNG bytes on white, or None when nothing new was drawn."""
        if self.empty or self.recorded:
            return None
        image = QImage(self.width(), self.height(), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub says bytes; Qt wants str
        buffer.close()
        return bytes(data.data())
